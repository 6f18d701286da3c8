import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, writeJsonAtomic, type Tokenizer } from '@apogee/core';
import { ByteTokenizer } from './byte-tokenizer';
import { HfTokenizer, loadHfTokenizer, type HfTokenizerJSON } from './hf-tokenizer';

/** File apogee writes for tokenizers that have no Hugging Face form (the byte tokenizer). */
export const APOGEE_TOKENIZER_FILE = 'apogee-tokenizer.json';

/**
 * Rebuild a tokenizer from its `toJSON()` description (as saved in checkpoints).
 * `where` names the source (a file) in error messages.
 */
export function tokenizerFromJSON(json: unknown, where = 'tokenizer description'): Tokenizer {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (type === 'byte') return new ByteTokenizer();
  if (type === 'huggingface') {
    const j = json as Partial<HfTokenizerJSON>;
    return new HfTokenizer(j.tokenizer, j.config ?? null, j.specialTokens ?? {}, where);
  }
  throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${where}: unknown tokenizer type ${JSON.stringify(type)} (expected "byte" or "huggingface").`, {
    hint: 'Pass the value returned by tokenizer.toJSON().',
  });
}

/**
 * Load the tokenizer of a model directory: its Hugging Face `tokenizer.json` (+ `tokenizer_config.json`)
 * when present, otherwise the `apogee-tokenizer.json` apogee saved (the byte tokenizer).
 */
export function loadTokenizer(dir: string): Tokenizer {
  if (fs.existsSync(path.join(dir, 'tokenizer.json'))) return loadHfTokenizer(dir);
  const own = path.join(dir, APOGEE_TOKENIZER_FILE);
  if (fs.existsSync(own)) {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(own, 'utf8'));
    } catch (e) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${own}: not valid JSON (${(e as Error).message})`, { cause: e });
    }
    return tokenizerFromJSON(json, own);
  }
  throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${dir}: no tokenizer found (looked for tokenizer.json and ${APOGEE_TOKENIZER_FILE}).`, {
    hint: 'Copy the model\'s tokenizer.json into the directory, or save one with saveTokenizer(dir, tokenizer).',
  });
}

/**
 * Save a tokenizer into a model directory so `loadTokenizer` finds it: a Hugging Face tokenizer as
 * `tokenizer.json` (+ `tokenizer_config.json`), any other as `apogee-tokenizer.json`. Atomic writes.
 */
export async function saveTokenizer(dir: string, tokenizer: Tokenizer): Promise<void> {
  if (tokenizer instanceof HfTokenizer) {
    for (const [name, value] of Object.entries(tokenizer.files())) await writeJsonAtomic(path.join(dir, name), value);
    return;
  }
  await writeJsonAtomic(path.join(dir, APOGEE_TOKENIZER_FILE), tokenizer.toJSON());
}
