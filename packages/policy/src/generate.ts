import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, findStop, type GenerateOptions, type Generation, type Tokenizer } from '@apogee/core';
import type { CausalLm } from './causal-lm';
import { GptModel } from './gpt-model';
import type { LayerKv } from './model/attention';
import { leftPaddedCausalBias, MASKED } from './model/gpt';
import { hostDecodeStep, HostKvCache } from './model/host-kv-cache';
import { logSumExpRows } from '@apogee/runtime';

/** `GenerateOptions` plus GPT-specific switches. */
export interface GptGenerateOptions extends GenerateOptions {
  /** Reuse each block's keys and values between steps (default true). `false` re-runs the whole prefix every step: slow, for tests. */
  kvCache?: boolean;
  /**
   * Keep the cache in host memory and attend in JS (default: on for the `cpu` and `apogee-cpu`
   * backends, off elsewhere, where the cache stays in tensors).
   */
  hostCache?: boolean;
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

/** The three ways to decode: host-side cache (CPU backends), tensor cache (other backends), no cache. */
function makeDecoder(model: CausalLm, prompts: number[][], rows: Row[], Tp: number, padId: number, options: GptGenerateOptions): Decoder {
  const expandRows = () => tf.tensor1d(rows.map((r) => r.prompt), 'int32');
  if (options.kvCache === false) {
    return {
      prefill: () => tf.tidy(() => tf.gather(runFull(model, prompts, prompts.map((p) => Tp - p.length), Tp, padId).logits, expandRows())),
      step: (kept) =>
        tf.tidy(() => {
          const seqs = kept.map((r) => [...r.promptIds, ...r.ids]);
          const len = Math.max(...seqs.map((s) => s.length));
          return runFull(model, seqs, seqs.map((s) => len - s.length), len, padId).logits;
        }),
      dispose: () => undefined,
    };
  }
  // The host cache has GPT-2's one-token step only; Llama-family models keep their cache in tensors.
  const host = model instanceof GptModel && (options.hostCache ?? HOST_BACKENDS.has(tf.getBackend()));
  if (host) {
    const { nLayer, nHead, nEmbd } = model.config;
    const cache = new HostKvCache(nLayer, rows.length, nHead, Tp + options.maxNewTokens, nEmbd);
    let slots = rows.map((_, i) => i);
    return {
      prefill: () =>
        tf.tidy(() => {
          const out = runFull(model, prompts, prompts.map((p) => Tp - p.length), Tp, padId);
          out.kv.forEach((l, layer) => {
            const k = l.k.dataSync() as Float32Array;
            const v = l.v.dataSync() as Float32Array;
            rows.forEach((r, slot) => cache.fill(layer, k, v, Tp, r.prompt, slot));
          });
          return tf.gather(out.logits, expandRows());
        }),
      step: (kept, keep) => {
        slots = keep.map((i) => slots[i]);
        const col = Tp + kept[0].ids.length - 1;
        const hostRows = { slot: Int32Array.from(slots), pad: Int32Array.from(kept, (r) => r.pad) };
        const ids = Int32Array.from(kept, (r) => r.ids[r.ids.length - 1]);
        const positions = Int32Array.from(kept, (r) => r.promptIds.length + r.ids.length - 1);
        return tf.tidy(() => hostDecodeStep(model.weights, model.config, cache, ids, positions, hostRows, col));
      },
      dispose: () => cache.dispose(),
    };
  }
  let kv: LayerKv[] = [];
  return {
    prefill: () => {
      const out = tf.tidy(() => {
        const full = runFull(model, prompts, prompts.map((p) => Tp - p.length), Tp, padId);
        const idx = expandRows();
        return { logits: tf.gather(full.logits, idx), kv: full.kv.map((l) => ({ k: tf.gather(l.k, idx), v: tf.gather(l.v, idx) })) };
      });
      kv = out.kv;
      return out.logits;
    },
    step: (kept, keep) => {
      const next = tf.tidy(() => runStep(model, kept, keep.length === kv[0].k.shape[0] ? kv : gatherRows(kv, keep)));
      disposeKv(kv);
      kv = next.kv;
      return next.logits;
    },
    dispose: () => disposeKv(kv),
  };
}

/** Backends whose tensors live in host memory, where the host-side KV cache is the fast path. */
const HOST_BACKENDS = new Set(['cpu', 'apogee-cpu']);

/** Run whole left-padded sequences; logits of each row's last position and every block's keys/values. */
function runFull(model: CausalLm, seqs: number[][], pads: number[], T: number, padId: number): { logits: tf.Tensor2D; kv: LayerKv[] } {
  const B = seqs.length;
  const ids = new Int32Array(B * T).fill(padId);
  const pos = new Int32Array(B * T);
  seqs.forEach((s, b) => {
    for (let t = 0; t < s.length; t++) {
      ids[b * T + pads[b] + t] = s[t];
      pos[b * T + pads[b] + t] = t;
    }
  });
  const { hidden, kv } = model.hidden(tf.tensor2d(ids, [B, T], 'int32'), {
    positions: tf.tensor2d(pos, [B, T], 'int32'),
    bias: leftPaddedCausalBias(pads, T),
  });
  const last = tf.gather(hidden, tf.tensor1d(seqs.map((_, b) => b * T + T - 1), 'int32'));
  return { logits: model.logits(last), kv };
}

/** One decoding step with the cache: each live row's newest token at its own position. */
function runStep(model: CausalLm, rows: Row[], past: LayerKv[]): { logits: tf.Tensor2D; kv: LayerKv[] } {
  const B = rows.length;
  const keys = past[0].k.shape[2] + 1;
  const bias = new Float32Array(B * keys);
  rows.forEach((r, b) => bias.fill(MASKED, b * keys, b * keys + r.pad));
  const { hidden, kv } = model.hidden(tf.tensor2d(rows.map((r) => r.ids[r.ids.length - 1]), [B, 1], 'int32'), {
    positions: tf.tensor2d(rows.map((r) => r.promptIds.length + r.ids.length - 1), [B, 1], 'int32'),
    bias: tf.tensor4d(bias, [B, 1, 1, keys]),
    past,
  });
  return { logits: model.logits(hidden), kv };
}

function gatherRows(kv: LayerKv[], keep: number[]): LayerKv[] {
  const idx = tf.tensor1d(keep, 'int32');
  return kv.map((l) => ({ k: tf.gather(l.k, idx), v: tf.gather(l.v, idx) }));
}

function disposeKv(kv: LayerKv[]): void {
  for (const l of kv) tf.dispose([l.k, l.v]);
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
