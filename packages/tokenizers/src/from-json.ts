import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, writeJsonAtomic, type Tokenizer } from '@apogee/core';
import { ByteTokenizer } from './byte-tokenizer';
import { HfTokenizer, hfTokenizerFromParsed, type HfTokenizerJSON } from './hf-tokenizer';

/** File apogee writes for tokenizers that have no Hugging Face form (the byte tokenizer). */
export const APOGEE_TOKENIZER_FILE = 'apogee-tokenizer.json';

/** True for a `toJSON()` description apogee wrote (as opposed to a Hugging Face `tokenizer.json`). */
function isApogeeDescription(json: unknown): boolean {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  return type === 'byte' || type === 'huggingface';
}

/** A Hugging Face `tokenizer.json` object: it has a `model` object. */
function isHfTokenizerJson(json: unknown): boolean {
  const model = typeof json === 'object' && json !== null ? (json as { model?: unknown }).model : undefined;
  return typeof model === 'object' && model !== null;
}

/**
 * Rebuild a tokenizer from its `toJSON()` description (as saved in checkpoints). A plain Hugging
 * Face `tokenizer.json` object is accepted too (special tokens then come from its vocabulary:
 * `<|endoftext|>`/`</s>`/`<eos>`). `where` names the source (a file) in error messages.
 */
export function tokenizerFromJSON(json: unknown, where = 'tokenizer description', hfConfig: unknown = null): Tokenizer {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (type === 'byte') return new ByteTokenizer();
  if (type === 'huggingface') {
    const j = json as Partial<HfTokenizerJSON>;
    return new HfTokenizer(j.tokenizer, j.config ?? null, j.specialTokens ?? {}, where);
  }
  if (isHfTokenizerJson(json)) return new HfTokenizer(json, hfConfig, {}, where);
  throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${where}: unknown tokenizer type ${JSON.stringify(type)} (expected "byte", "huggingface" or a Hugging Face tokenizer.json with a "model").`, {
    hint: 'Pass the value returned by tokenizer.toJSON(), or a Hugging Face tokenizer.json.',
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, code ? `${file}: cannot read tokenizer file (${code})` : `${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/**
 * Load the tokenizer of a model directory: its `tokenizer.json` (a Hugging Face file, read with
 * `tokenizer_config.json` when present, or an apogee `toJSON()` description), otherwise the
 * `apogee-tokenizer.json` apogee saved for the byte tokenizer.
 */
export function loadTokenizer(dir: string): Tokenizer {
  const file = path.join(dir, 'tokenizer.json');
  if (fs.existsSync(file)) {
    const json = readJson(file);
    return isApogeeDescription(json) ? tokenizerFromJSON(json, file) : hfTokenizerFromParsed(json, file);
  }
  const own = path.join(dir, APOGEE_TOKENIZER_FILE);
  if (fs.existsSync(own)) return tokenizerFromJSON(readJson(own), own);
  throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${dir}: no tokenizer found (looked for tokenizer.json and ${APOGEE_TOKENIZER_FILE}).`, {
    hint: 'Copy the model\'s tokenizer.json into the directory, or save one with saveTokenizer(dir, tokenizer).',
  });
}

/** Every tokenizer file `saveTokenizer` may write; those a save does not write are stale and removed. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', APOGEE_TOKENIZER_FILE];

/**
 * Save a tokenizer into a model directory so `loadTokenizer` finds it: a Hugging Face tokenizer as
 * `tokenizer.json` (+ `tokenizer_config.json`), any other as `apogee-tokenizer.json`. Atomic writes.
 * Tokenizer files of an earlier save into the same directory that this save does not write are
 * removed afterwards, so `loadTokenizer` (which prefers `tokenizer.json`) cannot pick up a stale one.
 */
export async function saveTokenizer(dir: string, tokenizer: Tokenizer): Promise<void> {
  const files: Record<string, unknown> = tokenizer instanceof HfTokenizer ? tokenizer.files() : { [APOGEE_TOKENIZER_FILE]: tokenizer.toJSON() };
  for (const [name, value] of Object.entries(files)) await writeJsonAtomic(path.join(dir, name), value);
  for (const name of TOKENIZER_FILES) if (!(name in files)) await fs.promises.rm(path.join(dir, name), { force: true });
}
