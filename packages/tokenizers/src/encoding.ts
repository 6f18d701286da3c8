import { ApogeeError, ERROR_CODES, type EncodedPair, type EncodePairOptions } from '@apogee/core';

/** The minimum a tokenizer provides for the shared pair/batch logic. */
export interface PairEncoder {
  readonly bosId: number;
  readonly eosId: number;
  encode(text: string): number[];
}

/**
 * The one implementation of `Tokenizer.encodePair`, shared by every apogee tokenizer.
 *
 * Prompt and response are encoded separately (so the boundary is exact even for BPE), then
 * `[BOS] prompt response [EOS]` is cut to `maxLength`: the prompt loses ids from the left first
 * (a leading BOS is kept while there is prompt left to cut), then the response loses ids from the
 * right. A response cut on the right loses its EOS too: it did not end there.
 */
export function encodePairWith(tokenizer: PairEncoder, prompt: string, response: string, options: EncodePairOptions = {}): EncodedPair {
  const addEos = options.addEos ?? true;
  const addBos = options.addBos ?? false;
  const maxLength = options.maxLength;
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 1)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `encodePair: maxLength must be a positive integer, got ${String(maxLength)}.`);
  }
  const bos = addBos ? [tokenizer.bosId] : [];
  let promptIds = tokenizer.encode(prompt);
  let responseIds = tokenizer.encode(response);
  if (addEos) responseIds.push(tokenizer.eosId);
  if (maxLength !== undefined) {
    let excess = bos.length + promptIds.length + responseIds.length - maxLength;
    if (excess > 0) {
      const cut = Math.min(excess, promptIds.length);
      promptIds = promptIds.slice(cut);
      excess -= cut;
    }
    if (excess > 0 && bos.length > 0) {
      // The whole prompt text is gone and there is still no room: BOS belongs to the prompt.
      bos.pop();
      excess -= 1;
    }
    if (excess > 0) responseIds = responseIds.slice(0, responseIds.length - excess);
  }
  const head = [...bos, ...promptIds];
  return { ids: [...head, ...responseIds], promptLength: head.length };
}
