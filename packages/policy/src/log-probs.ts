import * as tf from '@tensorflow/tfjs-core';
import type { EncodedPair, PromptResponse, ResponseLogProbs, SequenceLogProbs, Tokenizer } from '@apogee/core';
import type { CausalLm } from './causal-lm';
import { logSumExpRows } from '@apogee/runtime';

/**
 * Encode `[prompt|response|EOS]` rows cut to the context (prompt from the left first, see
 * `Tokenizer.encodePair`). A prompt that encodes to nothing gets BOS, so that the first response
 * token has something to be predicted from.
 */
export function encodeRows(tokenizer: Tokenizer, batch: readonly PromptResponse[], maxLength: number): EncodedPair[] {
  return batch.map(({ prompt, response }) => {
    const row = tokenizer.encodePair(prompt, response, { maxLength });
    return row.promptLength > 0 ? row : tokenizer.encodePair(prompt, response, { maxLength, addBos: true });
  });
}

/**
 * Per-token log-probs of the response tokens of right-padded rows `[prompt|response|EOS|pad]`:
 * column t holds log p(ids[t] | ids[<t]) where t is a response position, 0 at prompt and padding
 * positions. Differentiable; call inside `tf.tidy` (or a train step).
 */
export function sequenceLogProbs(model: CausalLm, rows: readonly EncodedPair[], padId: number, train = false): SequenceLogProbs {
  const B = rows.length;
  const T = Math.max(2, ...rows.map((r) => r.ids.length));
  const inputs = new Int32Array(B * (T - 1)).fill(padId);
  const targets = new Int32Array(B * (T - 1)).fill(padId);
  const mask = new Float32Array(B * T);
  const counts = new Float32Array(B);
  rows.forEach((row, b) => {
    for (let t = 0; t < row.ids.length; t++) {
      if (t < T - 1) inputs[b * (T - 1) + t] = row.ids[t];
      if (t > 0) targets[b * (T - 1) + t - 1] = row.ids[t];
      if (t >= Math.max(1, row.promptLength)) {
        mask[b * T + t] = 1;
        counts[b] += 1;
      }
    }
  });
  const { hidden } = model.hidden(tf.tensor2d(inputs, [B, T - 1], 'int32'), {}, train);
  const logits = model.logits(hidden);
  // log p(y) = h·e_y − logsumexp(h·E): the target logit from one embedding row, not the full row.
  const targetLogits = tf.sum(tf.mul(hidden, tf.gather(model.outputEmbedding(), tf.tensor1d(targets, 'int32'))), 1);
  const lp = tf.reshape(tf.sub(targetLogits, logSumExpRows(logits)), [B, T - 1]);
  const maskT = tf.tensor2d(mask, [B, T]);
  const tokenLogProbs = tf.mul(tf.concat([tf.zeros([B, 1]), lp], 1), maskT) as tf.Tensor2D;
  return { tokenLogProbs, mask: maskT, sum: tf.sum(tokenLogProbs, 1), count: tf.tensor1d(counts) };
}

/**
 * Non-differentiable per-response log-prob sums, `batchSize` rows at a time. Rows are grouped by
 * length so that little compute goes to padding; results come back in input order.
 */
export async function responseLogProbs(model: CausalLm, tokenizer: Tokenizer, batch: readonly PromptResponse[], batchSize: number): Promise<ResponseLogProbs> {
  const rows = encodeRows(tokenizer, batch, model.config.blockSize);
  const order = rows.map((_, i) => i).sort((a, b) => rows[a].ids.length - rows[b].ids.length);
  const sum = new Float32Array(rows.length);
  const count = new Int32Array(rows.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const idx = order.slice(start, start + batchSize);
    const out = tf.tidy(() => {
      const s = sequenceLogProbs(model, idx.map((i) => rows[i]), tokenizer.padId);
      return [s.sum, s.count];
    });
    const [sums, counts] = await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
    idx.forEach((i, k) => {
      sum[i] = sums[k];
      count[i] = counts[k];
    });
  }
  return { sum, count };
}
