import { ApogeeError, ERROR_CODES, type Tokenizer } from '@apogee/core';
import { readCheckpoint, type CheckpointContents, type HostTensor } from '@apogee/model-kit';
import type { CausalLm } from './causal-lm';
import { fromHfConfig, type GptConfig } from './config';
import { GptModel } from './gpt-model';
import { fromLlamaHfConfig, LLAMA_MODEL_TYPES, type LlamaConfig } from './llama/config';
import { LlamaModel } from './llama/llama-model';

/** A model family and its config: what `config.json` selects through `model_type`. */
export type Architecture = { family: 'gpt2'; config: GptConfig } | { family: 'llama'; config: LlamaConfig };

/** The `model_type` values apogee reads. */
export const SUPPORTED_MODEL_TYPES = ['gpt2', ...Object.keys(LLAMA_MODEL_TYPES)] as const;

/**
 * The architecture a Hugging Face `config.json` object describes: `model_type` `gpt2` (or none, as
 * in apogee's first checkpoints) is GPT-2; `llama`, `qwen2` and `mistral` are Llama-family. Anything
 * else is an error naming the file and the supported types.
 */
export function architectureFromHfConfig(json: unknown, file: string): Architecture {
  const type = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).model_type : undefined;
  if (type === undefined || type === 'gpt2') return { family: 'gpt2', config: fromHfConfig(json, file) };
  if (typeof type === 'string' && type in LLAMA_MODEL_TYPES) return { family: 'llama', config: fromLlamaHfConfig(json, file) };
  throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: model_type ${JSON.stringify(type)} is not supported.`, {
    hint: `Supported: ${SUPPORTED_MODEL_TYPES.map((t) => `"${t}"`).join(', ')}.`,
  });
}

/** The architecture of a model in memory (its family and config). */
export function architectureOf(model: CausalLm): Architecture {
  return model.family === 'gpt2' ? { family: 'gpt2', config: (model as GptModel).config } : { family: 'llama', config: (model as LlamaModel).config };
}

/** A freshly initialised model of `arch` from `seed`. */
export function createModel(arch: Architecture, seed: number, options: { trainable?: boolean; lmHead?: boolean } = {}): CausalLm {
  return arch.family === 'gpt2' ? GptModel.create(arch.config, seed, options) : LlamaModel.create(arch.config, seed, options);
}

/** A model of `arch` from checkpoint tensors (Hugging Face names); `extra` names (a reward head) are skipped. */
export function modelFromTensors(
  arch: Architecture,
  tensors: ReadonlyMap<string, HostTensor>,
  file: string,
  options: { trainable?: boolean; extra?: RegExp; lmHead?: boolean } = {},
): CausalLm {
  return arch.family === 'gpt2' ? GptModel.fromTensors(arch.config, tensors, file, options) : LlamaModel.fromTensors(arch.config, tensors, file, options);
}

/**
 * A checkpoint directory (apogee's or the Hub's) with `config.json` read as an `Architecture`:
 * what `CausalLmPolicy.load` and the reward model's `load` build on.
 */
export function readModelCheckpoint(dir: string, options: { tokenizer?: Tokenizer } = {}): Promise<CheckpointContents<Architecture>> {
  return readCheckpoint(dir, { tokenizer: options.tokenizer, parseConfig: architectureFromHfConfig, vocabSize: (a) => a.config.vocabSize });
}
