import { ApogeeError, ERROR_CODES, type EncodedPair, type EncodePairOptions, type Tokenizer } from '@apogee/core';

/** Where padding goes: `right` for training rows `[prompt|response|pad]`, `left` for generation `[pad|prompt]`. */
export type PaddingSide = 'left' | 'right';

export interface PadOptions {
  /** Pad id to fill with. */
  padId: number;
  /** Default `right`. */
  side?: PaddingSide;
  /** Pad to the longest row (default) or to a fixed length; a fixed length shorter than a row is an error. */
  length?: 'longest' | number;
}

/**
 * A rectangular batch of `batchSize` rows of `length` ids. Arrays are flat and row-major, ready for
 * `tf.tensor2d(batch.ids, [batch.batchSize, batch.length], 'int32')`.
 */
export interface PaddedBatch {
  batchSize: number;
  length: number;
  side: PaddingSide;
  /** Token ids, pad id in padding positions. */
  ids: Int32Array;
  /** 1 for real tokens (prompt and response), 0 for padding. */
  attentionMask: Int32Array;
  /**
   * 1 where the token belongs to the response (EOS included), 0 for prompt and padding: the loss
   * mask over *targets*. Token t is predicted by the logits at t − 1, so a next-token loss uses
   * `responseMask[:, 1:]` against `logits[:, :-1]`.
   */
  responseMask: Int32Array;
  /** Position ids: 0 at each row's first real token, counting up; 0 in padding. */
  positionIds: Int32Array;
  /** Index of each row's first real token (its left padding; 0 when right-padded). */
  starts: number[];
  /** Number of real tokens in each row. */
  lengths: number[];
  /** Number of prompt tokens in each row (after truncation). */
  promptLengths: number[];
}

/** Pad encoded rows into one rectangular batch with masks and the prompt/response boundary per row. */
export function padBatch(rows: readonly EncodedPair[], options: PadOptions): PaddedBatch {
  const side = options.side ?? 'right';
  if (side !== 'left' && side !== 'right') {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `padBatch: side must be "left" or "right", got ${JSON.stringify(side)}.`);
  }
  const longest = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
  const want = options.length ?? 'longest';
  let length: number;
  if (want === 'longest') {
    length = longest;
  } else if (Number.isInteger(want) && want >= 0) {
    length = want;
    if (longest > length) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `padBatch: a row has ${longest} ids but length is ${length}.`, {
        hint: 'Truncate when encoding (maxLength) or pad to "longest".',
      });
    }
  } else {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `padBatch: length must be "longest" or a non-negative integer, got ${JSON.stringify(want)}.`);
  }
  const n = rows.length;
  const ids = new Int32Array(n * length).fill(options.padId);
  const attentionMask = new Int32Array(n * length);
  const responseMask = new Int32Array(n * length);
  const positionIds = new Int32Array(n * length);
  const starts: number[] = [];
  const lengths: number[] = [];
  const promptLengths: number[] = [];
  rows.forEach((row, r) => {
    const len = row.ids.length;
    if (!Number.isInteger(row.promptLength) || row.promptLength < 0 || row.promptLength > len) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `padBatch: row ${r} has promptLength ${row.promptLength} outside 0–${len}.`);
    }
    const start = side === 'left' ? length - len : 0;
    const base = r * length + start;
    for (let t = 0; t < len; t++) {
      ids[base + t] = row.ids[t];
      attentionMask[base + t] = 1;
      responseMask[base + t] = t >= row.promptLength ? 1 : 0;
      positionIds[base + t] = t;
    }
    starts.push(start);
    lengths.push(len);
    promptLengths.push(row.promptLength);
  });
  return { batchSize: n, length, side, ids, attentionMask, responseMask, positionIds, starts, lengths, promptLengths };
}

export interface EncodeBatchOptions extends EncodePairOptions {
  /** Default `right` (training rows). */
  side?: PaddingSide;
  /** Pad to the longest row (default) or a fixed length. */
  length?: 'longest' | number;
}

/**
 * Encode prompt/response pairs with `tokenizer.encodePair` (EOS appended by default, truncation to
 * `maxLength`) and pad them into `[prompt|response|pad]` rows with a response (loss) mask.
 */
export function encodeBatch(
  tokenizer: Tokenizer,
  pairs: readonly { prompt: string; response: string }[],
  options: EncodeBatchOptions = {},
): PaddedBatch {
  const { side, length, ...pairOptions } = options;
  const rows = pairs.map((p) => tokenizer.encodePair(p.prompt, p.response, pairOptions));
  return padBatch(rows, { padId: tokenizer.padId, side: side ?? 'right', length });
}

export interface EncodePromptsOptions {
  /** Default `left`: every row's last prompt token sits in the last column, ready for generation. */
  side?: PaddingSide;
  length?: 'longest' | number;
  /** Keep at most this many ids per prompt, cutting from the left (the end of the prompt matters most). */
  maxLength?: number;
  /** Put BOS first. Default false. */
  addBos?: boolean;
}

/** Encode prompts alone, left-padded by default, for batched generation. `responseMask` is all 0. */
export function encodePrompts(tokenizer: Tokenizer, prompts: readonly string[], options: EncodePromptsOptions = {}): PaddedBatch {
  const rows = prompts.map((p) => tokenizer.encodePair(p, '', { addEos: false, addBos: options.addBos, maxLength: options.maxLength }));
  return padBatch(rows, { padId: tokenizer.padId, side: options.side ?? 'left', length: options.length });
}
