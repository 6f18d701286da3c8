import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, writeJsonAtomic, type OptimizerConfig, type Tokenizer } from '@apogee/core';
import { readSafetensors, writeSafetensors, type WritableTensor } from '@apogee/safetensors';
import { APOGEE_TOKENIZER_FILE, loadTokenizer, saveTokenizer } from '@apogee/tokenizers';
import { fromHfConfig, toHfConfig, type GptConfig } from './config';
import type { HostTensor } from './gpt-model';
import { resolveOptimizerConfig, type AdamWOptimizer } from './optimizer';

/** File names inside a checkpoint directory (Hugging Face's, plus apogee's optimizer state). */
export const CHECKPOINT_FILES = {
  config: 'config.json',
  model: 'model.safetensors',
  /** A Hugging Face tokenizer's file; the byte tokenizer is saved as `apogee-tokenizer.json` (see `@apogee/tokenizers`' `saveTokenizer`). */
  tokenizer: 'tokenizer.json',
  optimizer: 'optimizer.safetensors',
  optimizerState: 'optimizer.json',
} as const;

export interface CheckpointContents {
  config: GptConfig;
  /** The `apogee` object of config.json (kind, pooling, …); `{}` for a Hub checkpoint. */
  apogee: Record<string, unknown>;
  tensors: Map<string, HostTensor>;
  tokenizer: Tokenizer;
  optimizer?: { step: number; config: OptimizerConfig; tensors: Map<string, HostTensor> };
}

export interface WriteCheckpointInput {
  config: GptConfig;
  apogee: Record<string, unknown>;
  tensors: Map<string, HostTensor>;
  tokenizer: Tokenizer;
  optimizer?: AdamWOptimizer;
  /** Extra or replaced Hugging Face config keys (e.g. `architectures` of a reward model). */
  hf?: Record<string, unknown>;
}

function toWritable(tensors: Map<string, HostTensor>): Map<string, WritableTensor> {
  const out = new Map<string, WritableTensor>();
  for (const [name, t] of tensors) out.set(name, { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: t.shape, data: t.data });
  return out;
}

/**
 * Write `config.json` (Hugging Face GPT-2 keys plus `apogee`), `model.safetensors`, the tokenizer
 * (`tokenizer.json` for a Hugging Face one, `apogee-tokenizer.json` for the byte tokenizer) and, when there is an optimizer, its moments and
 * step. Every file is written atomically; config.json goes last, so a directory with a config.json
 * from this save has all the files of this save.
 */
export async function writeCheckpoint(dir: string, input: WriteCheckpointInput): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, CHECKPOINT_FILES.model), toWritable(input.tensors), { format: 'pt' });
  await saveTokenizer(dir, input.tokenizer);
  if (input.optimizer) {
    const state = new Map<string, HostTensor>();
    for (const [name, t] of input.optimizer.stateTensors()) state.set(name, { shape: [...t.shape], data: (await t.data()) as Float32Array });
    await writeSafetensors(path.join(dir, CHECKPOINT_FILES.optimizer), toWritable(state));
    await writeJsonAtomic(path.join(dir, CHECKPOINT_FILES.optimizerState), { step: input.optimizer.step, config: input.optimizer.config });
  } else {
    // No optimizer: an older save's optimizer state in this directory must not be resumed with these weights.
    await fs.promises.rm(path.join(dir, CHECKPOINT_FILES.optimizerState), { force: true });
    await fs.promises.rm(path.join(dir, CHECKPOINT_FILES.optimizer), { force: true });
  }
  await writeJsonAtomic(path.join(dir, CHECKPOINT_FILES.config), { ...toHfConfig(input.config, input.apogee), ...input.hf });
}

/** Parse a JSON file; unreadable or malformed files are errors naming the file. */
async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: cannot read the ${what} (${code ?? (e as Error).message}).`, {
      hint: code === 'ENOENT' ? `A checkpoint directory holds ${CHECKPOINT_FILES.config}, ${CHECKPOINT_FILES.model} and a tokenizer (${CHECKPOINT_FILES.tokenizer}, or ${APOGEE_TOKENIZER_FILE} for the byte tokenizer).` : undefined,
      cause: e,
    });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: the ${what} is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
}

/** Read a checkpoint directory written by `writeCheckpoint` or a Hugging Face GPT-2 directory. */
export async function readCheckpoint(dir: string, options: { tokenizer?: Tokenizer } = {}): Promise<CheckpointContents> {
  const configFile = path.join(dir, CHECKPOINT_FILES.config);
  const json = await readJson(configFile, 'model config');
  const config = fromHfConfig(json, configFile);
  const apogee = ((json as { apogee?: unknown }).apogee ?? {}) as Record<string, unknown>;
  const tokenizer = options.tokenizer ?? loadTokenizer(dir);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${configFile}: vocab_size ${config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} ids.`, {
      hint: 'Use the tokenizer the model was trained with.',
    });
  }
  const { tensors } = await readSafetensors(path.join(dir, CHECKPOINT_FILES.model));
  const host = new Map<string, HostTensor>();
  for (const [name, t] of tensors) host.set(name, { shape: t.shape, data: t.data instanceof Float32Array || t.data instanceof Int32Array ? t.data : Float32Array.from(t.data) });
  const contents: CheckpointContents = { config, apogee, tensors: host, tokenizer };
  const stateFile = path.join(dir, CHECKPOINT_FILES.optimizerState);
  if (fs.existsSync(stateFile)) {
    const state = (await readJson(stateFile, 'optimizer state')) as { step?: unknown; config?: unknown };
    if (typeof state !== 'object' || state === null || !Number.isInteger(state.step) || (state.step as number) < 0 || typeof state.config !== 'object' || state.config === null) {
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${stateFile}: expected {"step": <integer ≥ 0>, "config": {…}}.`);
    }
    try {
      resolveOptimizerConfig(state.config as OptimizerConfig);
    } catch (e) {
      const problems = e instanceof ApogeeError ? e.problems.map((p) => ({ ...p, path: `config.${p.path}` })) : [];
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${stateFile}: the saved optimizer config is invalid:`, { problems, cause: e });
    }
    const moments = await readSafetensors(path.join(dir, CHECKPOINT_FILES.optimizer));
    const mt = new Map<string, HostTensor>();
    for (const [name, t] of moments.tensors) mt.set(name, { shape: t.shape, data: t.data as Float32Array });
    contents.optimizer = { step: state.step as number, config: state.config as OptimizerConfig, tensors: mt };
  }
  return contents;
}
