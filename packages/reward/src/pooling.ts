import * as tf from '@tensorflow/tfjs-core';
import type { EncodedPair, PromptResponse, Tokenizer } from '@apogee/core';

/**
 * Where the scalar is read (decision 0028):
 * - `last`: the hidden state of the row's last token: the last response token, as in the APO
 *   reference (Cheng et al. 2024, §3: "the last response token before EOS"), or EOS itself when
 *   `appendEos` is on (Hugging Face `GPT2ForSequenceClassification` on EOS-terminated text);
 * - `mean`: the mean of the per-token scores over the response tokens (EOS included when appended).
 */
export type RewardPooling = 'last' | 'mean';

export interface RewardReadout {
  pooling: RewardPooling;
  /** Append EOS to every response before scoring. Default false (the reference reads the last response token). */
  appendEos: boolean;
}

/** `[prompt|response(|EOS)]` rows cut to the context; an empty prompt gets BOS. */
export function encodeRewardRows(tokenizer: Tokenizer, batch: readonly PromptResponse[], maxLength: number, appendEos: boolean): EncodedPair[] {
  return batch.map(({ prompt, response }) => {
    const row = tokenizer.encodePair(prompt, response, { maxLength, addEos: appendEos });
    return row.promptLength > 0 || row.ids.length === 0 ? row : tokenizer.encodePair(prompt, response, { maxLength, addEos: appendEos, addBos: true });
  });
}

/** Right-pad rows; return ids [B, T] and, per row, the readout weights over positions [B, T]. */
export function readoutWeights(rows: readonly EncodedPair[], padId: number, pooling: RewardPooling): { ids: Int32Array; weights: Float32Array; B: number; T: number } {
  const B = rows.length;
  const T = Math.max(1, ...rows.map((r) => r.ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const weights = new Float32Array(B * T);
  rows.forEach((row, b) => {
    row.ids.forEach((id, t) => (ids[b * T + t] = id));
    const last = Math.max(0, row.ids.length - 1);
    // Response positions; an empty response falls back to the last prompt token.
    const first = Math.min(row.promptLength, last);
    if (pooling === 'last') {
      weights[b * T + last] = 1;
    } else {
      const n = last - first + 1;
      for (let t = first; t <= last; t++) weights[b * T + t] = 1 / n;
    }
  });
  return { ids, weights, B, T };
}

/** Scores [B] from per-token scores [B, T] and readout weights (the head is linear, so pooling scores = scoring the pooled state). */
export function pool(tokenScores: tf.Tensor2D, weights: Float32Array): tf.Tensor1D {
  return tf.sum(tf.mul(tokenScores, tf.tensor2d(weights, tokenScores.shape)), 1);
}
