import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, findStop, type GenerateOptions, type Generation, type Tokenizer } from '@apogee/core';
import { KvCache, logSumExpRows } from '@apogee/runtime';
import type { CausalLm, DecodeCache } from './causal-lm';
import { leftPaddedCausalBias } from './model/gpt';

/** `GenerateOptions` plus GPT-specific switches. */
export interface GptGenerateOptions extends GenerateOptions {
  /** Reuse each block's keys and values between steps (default true). `false` re-runs the whole prefix every step: slow, for tests. */
  kvCache?: boolean;
}

/** One decoding row (a prompt's k-th sample) while it is being generated. */
interface Row {
  prompt: number;
  promptIds: number[];
  /** Left padding of the row's prompt in its chunk. */
  pad: number;
  ids: number[];
  logProbs: number[];
  finish?: Generation['finishReason'];
  /** Character index of the stop sequence in the decoded text. */
  stopAt?: number;
}

/** Check options once; errors name the option and its allowed values. */
function checkOptions(options: GptGenerateOptions, blockSize: number, defaultBatchSize: number): { n: number; batchSize: number } {
  const n = options.n ?? 1;
  const batchSize = options.batchSize ?? defaultBatchSize;
  const bad = (what: string) => {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `generate: ${what}.`);
  };
  if (!Number.isInteger(n) || n < 1) bad(`n must be an integer ≥ 1, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) bad(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0 || options.maxNewTokens >= blockSize) {
    bad(`maxNewTokens must be an integer in [0, ${blockSize - 1}] (the context holds ${blockSize} positions and the prompt needs at least one), got ${options.maxNewTokens}`);
  }
  if (!options.sampler || typeof options.sampler.next !== 'function') bad('options.sampler must be a Sampler (an object with next(step))');
  return { n, batchSize };
}

/**
 * Prompt ids as `encodePair(prompt, '')` makes them (so generation and log-probs agree), cut from
 * the left to leave room for `maxNewTokens`; an empty prompt becomes `[BOS]`.
 */
export function promptIds(tokenizer: Tokenizer, prompt: string, maxLength: number): number[] {
  const ids = tokenizer.encodePair(prompt, '', { addEos: false, maxLength }).ids;
  return ids.length > 0 ? ids : [tokenizer.bosId];
}

/**
 * Batched sampling with a KV cache. Prompts are grouped into chunks of `batchSize / n` prompts,
 * left-padded (attention masks hide the padding, position ids start at 0 at each prompt's first
 * token), run once (the prefill), and their caches copied to the `n` sample rows. Then one token
 * per row per step: the sampler picks from the logits; the log-prob is read from the unmodified
 * distribution; rows that finish (EOS, a stop sequence, `maxNewTokens`) leave the batch.
 */
export async function generate(model: CausalLm, tokenizer: Tokenizer, prompts: readonly string[], options: GptGenerateOptions, defaultBatchSize: number, stopIds: readonly number[] = []): Promise<Generation[][]> {
  const { blockSize } = model.config;
  const { n, batchSize } = checkOptions(options, blockSize, defaultBatchSize);
  const encoded = prompts.map((p) => promptIds(tokenizer, p, blockSize - options.maxNewTokens));
  const results: Generation[][] = prompts.map(() => []);
  const perChunk = Math.max(1, Math.floor(batchSize / n));
  for (let start = 0; start < prompts.length; start += perChunk) {
    const chunk = encoded.slice(start, start + perChunk);
    const rows = await generateChunk(model, tokenizer, chunk, n, options, new Set([tokenizer.eosId, ...stopIds]));
    rows.forEach((row) => results[start + row.prompt].push(finishRow(tokenizer, row)));
  }
  return results;
}

async function generateChunk(model: CausalLm, tokenizer: Tokenizer, prompts: number[][], n: number, options: GptGenerateOptions, eos: ReadonlySet<number>): Promise<Row[]> {
  const stop = options.stop ?? [];
  const V = model.config.vocabSize;
  const Tp = Math.max(...prompts.map((p) => p.length));
  const rows: Row[] = [];
  prompts.forEach((p, i) => {
    for (let k = 0; k < n; k++) rows.push({ prompt: i, promptIds: p, pad: Tp - p.length, ids: [], logProbs: [] });
  });
  if (options.maxNewTokens === 0) {
    rows.forEach((r) => (r.finish = 'length'));
    return rows;
  }
  const decoder = makeDecoder(model, prompts, rows, Tp, tokenizer.padId, options);
  let live = rows.slice(); // rows still decoding, in the decoder's row order
  let logits = decoder.prefill();
  try {
    for (;;) {
      if (options.signal?.aborted) throw new ApogeeError(ERROR_CODES.ABORTED, 'Generation was aborted.');
      const data = await logits.data();
      // log Σ exp per row (the fused op: one SIMD pass on apogee-cpu), for the sampled tokens' log-probs.
      const lseTensor = tf.tidy(() => logSumExpRows(logits as tf.Tensor2D));
      const lse = lseTensor.dataSync();
      lseTensor.dispose();
      const tokens = options.sampler.next({
        logits: Float32Array.from(data),
        batch: live.length,
        vocab: V,
        generated: live.map((r) => r.ids),
        promptIds: live.map((r) => r.promptIds),
        rng: options.rng,
      });
      const keep: number[] = [];
      live.forEach((row, i) => {
        const tok = tokens[i];
        if (!Number.isInteger(tok) || tok < 0 || tok >= V) {
          throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Sampler "${options.sampler.name}" returned id ${tok} for row ${i}; ids must be integers in [0, ${V - 1}].`);
        }
        if (eos.has(tok)) {
          row.finish = 'eos';
          return;
        }
        row.ids.push(tok);
        row.logProbs.push(data[i * V + tok] - lse[i]);
        if (stop.length > 0) {
          const hit = findStop(tokenizer.decode(row.ids, { skipSpecial: true }), stop);
          if (hit) {
            row.finish = 'stop';
            row.stopAt = hit.index;
            return;
          }
        }
        if (row.ids.length >= options.maxNewTokens) {
          row.finish = 'length';
          return;
        }
        keep.push(i);
      });
      logits.dispose();
      if (keep.length === 0) break;
      const kept = keep.map((i) => live[i]);
      logits = decoder.step(kept, keep);
      live = kept;
    }
  } finally {
    logits.dispose();
    decoder.dispose();
  }
  return rows;
}

/** Feeds each live row's newest token and returns next-token logits `[liveRows, vocab]`. */
interface Decoder {
  /** Run the prompts; logits of every row. */
  prefill(): tf.Tensor2D;
  /** `kept`: the rows still decoding; `keep`: their indices among the previous step's rows. */
  step(kept: Row[], keep: number[]): tf.Tensor2D;
  dispose(): void;
}

/**
 * Decoding with the KV cache (`@apogee/runtime`'s `kvCacheAttention`: in place on apogee-cpu,
 * tensors elsewhere), or without one (the whole prefix every step, for tests).
 */
function makeDecoder(model: CausalLm, prompts: number[][], rows: Row[], Tp: number, padId: number, options: GptGenerateOptions): Decoder {
  const expandRows = () => tf.tensor1d(rows.map((r) => r.prompt), 'int32');
  if (options.kvCache === false) {
    return {
      prefill: () => tf.tidy(() => tf.gather(runFull(model, prompts, prompts.map((p) => Tp - p.length), Tp, padId), expandRows())),
      step: (kept) =>
        tf.tidy(() => {
          const seqs = kept.map((r) => [...r.promptIds, ...r.ids]);
          const len = Math.max(...seqs.map((s) => s.length));
          return runFull(model, seqs, seqs.map((s) => len - s.length), len, padId);
        }),
      dispose: () => undefined,
    };
  }
  const kv = new KvCache({ ...model.cacheShape(), slots: rows.length, maxTime: Tp + options.maxNewTokens });
  // Row i decodes in slot i. The prefill runs each prompt once, in the slot of its first sample,
  // and the cache copies it to the prompt's other samples.
  const first = prompts.map((_, p) => rows.findIndex((r) => r.prompt === p));
  let slots = rows.map((_, i) => i);
  return {
    prefill: () =>
      tf.tidy(() => {
        const pads = prompts.map((p) => Tp - p.length);
        const cache = { kv, rows: { slots: Int32Array.from(first), pads: Int32Array.from(pads) }, col: 0 };
        const logits = runFull(model, prompts, pads, Tp, padId, cache);
        const others = rows.map((r, i) => [first[r.prompt], i]).filter(([f, i]) => f !== i);
        kv.copySlots(others.map(([f]) => f), others.map(([, i]) => i));
        return tf.gather(logits, expandRows());
      }),
    step: (kept, keep) => {
      slots = keep.map((i) => slots[i]);
      const cache = { kv, rows: { slots: Int32Array.from(slots), pads: Int32Array.from(kept, (r) => r.pad) }, col: Tp + kept[0].ids.length - 1 };
      return tf.tidy(() => {
        const { hidden } = model.hidden(tf.tensor2d(kept.map((r) => r.ids[r.ids.length - 1]), [kept.length, 1], 'int32'), {
          positions: tf.tensor2d(kept.map((r) => r.promptIds.length + r.ids.length - 1), [kept.length, 1], 'int32'),
          cache,
        });
        return model.logits(hidden);
      });
    },
    dispose: () => kv.dispose(),
  };
}

/**
 * Run whole left-padded sequences (with `cache`: writing their keys/values into it); logits of
 * each row's last position.
 */
function runFull(model: CausalLm, seqs: number[][], pads: number[], T: number, padId: number, cache?: DecodeCache): tf.Tensor2D {
  const B = seqs.length;
  const ids = new Int32Array(B * T).fill(padId);
  const pos = new Int32Array(B * T);
  seqs.forEach((s, b) => {
    for (let t = 0; t < s.length; t++) {
      ids[b * T + pads[b] + t] = s[t];
      pos[b * T + pads[b] + t] = t;
    }
  });
  const { hidden } = model.hidden(tf.tensor2d(ids, [B, T], 'int32'), {
    positions: tf.tensor2d(pos, [B, T], 'int32'),
    ...(cache ? { cache } : { bias: leftPaddedCausalBias(pads, T) }),
  });
  const last = tf.gather(hidden, tf.tensor1d(seqs.map((_, b) => b * T + T - 1), 'int32'));
  return model.logits(last);
}

/** Decode a finished row; a stop sequence cuts the text there and the ids before the token it starts in. */
function finishRow(tokenizer: Tokenizer, row: Row): Generation {
  let ids = row.ids;
  let text = tokenizer.decode(ids, { skipSpecial: true });
  if (row.finish === 'stop' && row.stopAt !== undefined) {
    let k = 0;
    while (k < ids.length && tokenizer.decode(ids.slice(0, k + 1), { skipSpecial: true }).length <= row.stopAt) k++;
    text = text.slice(0, row.stopAt);
    ids = ids.slice(0, k);
  }
  return { text, tokenIds: ids, logProbs: row.logProbs.slice(0, ids.length), finishReason: row.finish ?? 'length' };
}
