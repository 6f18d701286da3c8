import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, isApogeeError, writeJsonAtomic, type OptimizerConfig, type Tokenizer } from '@apogee/core';
import { readSafetensors, writeSafetensors, type WritableTensor } from '@apogee/safetensors';
import { APOGEE_TOKENIZER_FILE, loadTokenizer, saveTokenizer } from '@apogee/tokenizers';
import { readGenerationConfig, type GenerationDefaults } from './generation-config';
import { resolveOptimizerConfig, type AdamWOptimizer } from './optimizer';

/** File names inside a checkpoint directory (Hugging Face's, plus apogee's optimizer state). */
export const CHECKPOINT_FILES = {
  config: 'config.json',
  model: 'model.safetensors',
  /** Hugging Face's index of a sharded checkpoint: `weight_map` from tensor name to shard file. */
  modelIndex: 'model.safetensors.index.json',
  /** Hugging Face's generation defaults (eos ids, sampling settings). */
  generation: 'generation_config.json',
  /** A Hugging Face tokenizer's file; the byte tokenizer is saved as `apogee-tokenizer.json` (see `@apogee/tokenizers`' `saveTokenizer`). */
  tokenizer: 'tokenizer.json',
  optimizer: 'optimizer.safetensors',
  optimizerState: 'optimizer.json',
} as const;

/** A tensor read from or written to a checkpoint: shape and row-major data (float32 after widening). */
export interface HostTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface CheckpointContents<C> {
  /** `config.json` as the caller's `parseConfig` read it (for the models: the architecture it selects). */
  config: C;
  /** `generation_config.json`, when the directory has one. */
  generation?: GenerationDefaults;
  /** The `apogee` object of config.json (kind, pooling, …); `{}` for a Hub checkpoint. */
  apogee: Record<string, unknown>;
  tensors: Map<string, HostTensor>;
  tokenizer: Tokenizer;
  optimizer?: { step: number; config: OptimizerConfig; tensors: Map<string, HostTensor> };
}

export interface WriteCheckpointInput {
  /** The Hugging Face `config.json` object (the model's `hfConfig(apogee)`). */
  hfConfig: Record<string, unknown>;
  tensors: Map<string, HostTensor>;
  tokenizer: Tokenizer;
  optimizer?: AdamWOptimizer;
  /** Extra or replaced Hugging Face config keys (e.g. `architectures` of a reward model). */
  hf?: Record<string, unknown>;
  /** `generation_config.json` to write back (as read). */
  generation?: GenerationDefaults;
  /**
   * Largest shard in bytes (Hugging Face's `max_shard_size`, default 5 GB): a bigger model is written
   * as `model-0000i-of-0000n.safetensors` plus `model.safetensors.index.json`, as the Hub ships it.
   */
  maxShardBytes?: number;
}

/** Hugging Face's default `max_shard_size` ("5GB"). */
export const DEFAULT_MAX_SHARD_BYTES = 5e9;

function toWritable(tensors: Map<string, HostTensor>): Map<string, WritableTensor> {
  const out = new Map<string, WritableTensor>();
  for (const [name, t] of tensors) out.set(name, { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: t.shape, data: t.data });
  return out;
}

/**
 * Write `config.json` (the model's Hugging Face keys plus `apogee`), the weights (`model.safetensors`, or shards and their index), `generation_config.json` when given, the tokenizer
 * (`tokenizer.json` for a Hugging Face one, `apogee-tokenizer.json` for the byte tokenizer) and, when there is an optimizer, its moments and
 * step. Every file is written atomically; config.json goes last, so a directory with a config.json
 * from this save has all the files of this save.
 */
export async function writeCheckpoint(dir: string, input: WriteCheckpointInput): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  await writeModelTensors(dir, input.tensors, input.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES);
  await saveTokenizer(dir, input.tokenizer);
  if (input.generation) await writeJsonAtomic(path.join(dir, CHECKPOINT_FILES.generation), input.generation.raw);
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
  await writeJsonAtomic(path.join(dir, CHECKPOINT_FILES.config), { ...input.hfConfig, ...input.hf });
}

const SHARD = /^model-\d{5}-of-\d{5}\.safetensors$/;

/**
 * `model.safetensors`, or, when the tensors exceed `maxShardBytes`, shards filled in name order
 * plus `model.safetensors.index.json` (Hugging Face's `save_pretrained` layout). Files of the other
 * layout left by an earlier save are removed after the new ones are complete.
 */
async function writeModelTensors(dir: string, tensors: Map<string, HostTensor>, maxShardBytes: number): Promise<void> {
  const names = [...tensors.keys()].sort();
  const shards: string[][] = [[]];
  let bytes = 0;
  let total = 0;
  for (const name of names) {
    const size = tensors.get(name)!.data.byteLength;
    total += size;
    if (bytes > 0 && bytes + size > maxShardBytes) {
      shards.push([]);
      bytes = 0;
    }
    shards[shards.length - 1].push(name);
    bytes += size;
  }
  const stale = (await fs.promises.readdir(dir)).filter((f) => SHARD.test(f));
  if (shards.length === 1) {
    await writeSafetensors(path.join(dir, CHECKPOINT_FILES.model), toWritable(tensors), { format: 'pt' });
    await fs.promises.rm(path.join(dir, CHECKPOINT_FILES.modelIndex), { force: true });
  } else {
    const n = shards.length;
    const weightMap: Record<string, string> = {};
    const written = new Set<string>();
    for (const [i, part] of shards.entries()) {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
      await writeSafetensors(path.join(dir, file), toWritable(new Map(part.map((k) => [k, tensors.get(k)!]))), { format: 'pt' });
      for (const k of part) weightMap[k] = file;
      written.add(file);
    }
    await writeJsonAtomic(path.join(dir, CHECKPOINT_FILES.modelIndex), { metadata: { total_size: total }, weight_map: weightMap });
    await fs.promises.rm(path.join(dir, CHECKPOINT_FILES.model), { force: true });
    stale.splice(0, stale.length, ...stale.filter((f) => !written.has(f)));
  }
  for (const f of stale) await fs.promises.rm(path.join(dir, f), { force: true });
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

/** How `readCheckpoint` reads `config.json`: the model's parser, and where its vocabulary size is. */
export interface ReadCheckpointOptions<C> {
  /** The tokenizer to use instead of the directory's. */
  tokenizer?: Tokenizer;
  /** Reads the parsed `config.json`; errors name `file`. */
  parseConfig: (json: unknown, file: string) => C;
  /** The model's vocabulary size in that config (the tokenizer may not have more ids). */
  vocabSize: (config: C) => number;
}

/** Read a checkpoint directory written by `writeCheckpoint` or a Hugging Face model directory. */
export async function readCheckpoint<C>(dir: string, options: ReadCheckpointOptions<C>): Promise<CheckpointContents<C>> {
  const configFile = path.join(dir, CHECKPOINT_FILES.config);
  const json = await readJson(configFile, 'model config');
  const config = options.parseConfig(json, configFile);
  const vocabSize = options.vocabSize(config);
  const apogee = ((json as { apogee?: unknown }).apogee ?? {}) as Record<string, unknown>;
  const tokenizer = options.tokenizer ?? loadTokenizer(dir);
  if (tokenizer.vocabSize > vocabSize) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${configFile}: vocab_size ${vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} ids.`, {
      hint: 'Use the tokenizer the model was trained with.',
    });
  }
  const contents: CheckpointContents<C> = { config, apogee, tensors: await readModelTensors(dir), tokenizer };
  const generationFile = path.join(dir, CHECKPOINT_FILES.generation);
  if (fs.existsSync(generationFile)) contents.generation = readGenerationConfig(await readJson(generationFile, 'generation config'), generationFile);
  const stateFile = path.join(dir, CHECKPOINT_FILES.optimizerState);
  if (fs.existsSync(stateFile)) {
    const state = (await readJson(stateFile, 'optimizer state')) as { step?: unknown; config?: unknown };
    if (typeof state !== 'object' || state === null || !Number.isInteger(state.step) || (state.step as number) < 0 || typeof state.config !== 'object' || state.config === null) {
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${stateFile}: expected {"step": <integer ≥ 0>, "config": {…}}.`);
    }
    try {
      resolveOptimizerConfig(state.config as OptimizerConfig);
    } catch (e) {
      const problems = isApogeeError(e) ? e.problems.map((p) => ({ ...p, path: `config.${p.path}` })) : [];
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${stateFile}: the saved optimizer config is invalid:`, { problems, cause: e });
    }
    const moments = await readSafetensors(path.join(dir, CHECKPOINT_FILES.optimizer));
    const mt = new Map<string, HostTensor>();
    for (const [name, t] of moments.tensors) mt.set(name, { shape: t.shape, data: t.data as Float32Array });
    contents.optimizer = { step: state.step as number, config: state.config as OptimizerConfig, tensors: mt };
  }
  return contents;
}

/**
 * The model's tensors from `model.safetensors` or from the shards `model.safetensors.index.json`
 * names, in float32 (F16 and BF16, as the Hub ships most models, are widened on read). An index
 * whose map names a tensor its shard lacks, or a shard with tensors the map does not list, is an
 * error naming the index.
 */
async function readModelTensors(dir: string): Promise<Map<string, HostTensor>> {
  const host = new Map<string, HostTensor>();
  const add = (tensors: Map<string, { shape: number[]; data: ArrayLike<number> }>) => {
    for (const [name, t] of tensors) host.set(name, { shape: t.shape, data: t.data instanceof Float32Array || t.data instanceof Int32Array ? t.data : Float32Array.from(t.data) });
  };
  const indexFile = path.join(dir, CHECKPOINT_FILES.modelIndex);
  if (!fs.existsSync(indexFile)) {
    add((await readSafetensors(path.join(dir, CHECKPOINT_FILES.model))).tensors);
    return host;
  }
  const index = (await readJson(indexFile, 'shard index')) as { weight_map?: unknown };
  const map = index?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map) || !Object.values(map).every((f) => typeof f === 'string' && !f.includes('/') && !f.includes('\\'))) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${indexFile}: "weight_map" must map tensor names to shard file names in this directory.`);
  }
  const weightMap = map as Record<string, string>;
  const problems: { path: string; message: string }[] = [];
  for (const file of [...new Set(Object.values(weightMap))].sort()) {
    const { tensors } = await readSafetensors(path.join(dir, file));
    for (const name of tensors.keys()) if (weightMap[name] !== file) problems.push({ path: name, message: `is in ${file} but the index ${weightMap[name] ? `says ${weightMap[name]}` : 'does not list it'}` });
    for (const [name, f] of Object.entries(weightMap)) if (f === file && !tensors.has(name)) problems.push({ path: name, message: `is not in ${file}, where the index puts it` });
    add(tensors);
  }
  if (problems.length > 0) throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${indexFile}: the index and the shards disagree:`, { problems });
  return host;
}
