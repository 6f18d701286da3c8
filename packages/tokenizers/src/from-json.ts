import { ApogeeError, ERROR_CODES, type Tokenizer } from '@apogee/core';
import { ByteTokenizer } from './byte-tokenizer';

/**
 * Rebuild a tokenizer from its `toJSON()` description (as saved in checkpoints).
 * `where` names the source (a file) in error messages.
 */
export function tokenizerFromJSON(json: unknown, where = 'tokenizer description'): Tokenizer {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (type === 'byte') return new ByteTokenizer();
  throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${where}: unknown tokenizer type ${JSON.stringify(type)} (expected "byte" or "huggingface").`, {
    hint: 'Pass the value returned by tokenizer.toJSON().',
  });
}
