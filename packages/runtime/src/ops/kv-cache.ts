/**
 * A key/value cache for decoding and the attention that reads it, as one op: `kvCacheAttention`
 * writes the new tokens' keys and values into the cache and attends each new query to its row's
 * columns. On `apogee-cpu` a kernel does both on host arrays written in place
 * (`kernels/kv-cache.ts`); every other backend runs the plain-tfjs composite here, whose cache is
 * a pair of tensors per layer.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel name of the op (registered for apogee-cpu). */
export const KV_CACHE_ATTENTION = 'ApogeeKvCacheAttention';

/** Additive mask of the composite for keys a query may not see (large and finite: no NaN). */
const MASKED = -1e9;

export interface KvCacheShape {
  /** Blocks of the model: one key and one value store each. */
  layers: number;
  /** Decoding rows the cache holds (a row keeps its slot while it decodes). */
  slots: number;
  /** Key/value heads (fewer than query heads under grouped-query attention). */
  kvHeads: number;
  headDim: number;
  /** Columns per slot: prompt plus new tokens. */
  maxTime: number;
}

/** Which cache slot each input row reads and writes, and how many of its leading columns are padding. */
export interface KvRows {
  slots: Int32Array;
  pads: Int32Array;
}

/** A backend's storage of one cache (made by the first attention call on that backend). */
export interface KvStore {
  /** Copy every layer's columns of slot `from[i]` to slot `to[i]`. */
  copySlots(from: readonly number[], to: readonly number[]): void;
  dispose(): void;
}

/**
 * Keys and values of every block for a batch of decoding rows. The storage is the backend's:
 * host arrays written in place on apogee-cpu, tensors elsewhere; it is made on first use and
 * freed by `dispose`. One cache serves one generation.
 */
export class KvCache {
  /** Set by the first `kvCacheAttention` call. */
  store: KvStore | null = null;

  constructor(readonly shape: KvCacheShape) {
    for (const [k, v] of Object.entries(shape)) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`KvCache: ${k} must be an integer ≥ 1, got ${v}`);
    }
  }

  /** Copy every layer's columns of slot `from[i]` to slot `to[i]` (a prompt's prefill to its other samples). */
  copySlots(from: readonly number[], to: readonly number[]): void {
    if (from.length > 0) this.store?.copySlots(from, to);
  }

  dispose(): void {
    this.store?.dispose();
    this.store = null;
  }
}

export interface KvCacheAttentionOptions {
  /** The block whose keys/values these are. */
  layer: number;
  /** Query heads (a multiple of the cache's `kvHeads`; key/value head j serves query heads j·g … j·g + g − 1). */
  heads: number;
  rows: KvRows;
  /** The cache column of each row's first new token (all rows decode in step). */
  col: number;
}

/**
 * Cached causal attention. `q` is `[rows·time, heads·headDim]`, `k` and `v` are
 * `[rows·time, kvHeads·headDim]` (rows-major: row r's `time` new tokens are consecutive). Writes
 * row r's keys/values of token t at column `col + t` of slot `rows.slots[r]`, then token t's query
 * attends, with scale 1/√headDim, to columns `pads[r] … col + t` of that slot (a query in the
 * padding sees only itself, so its softmax stays finite; its output is unused). Returns the
 * merged heads `[rows·time, heads·headDim]`. Inference only: no gradient.
 */
export function kvCacheAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, cache: KvCache, o: KvCacheAttentionOptions): tf.Tensor2D {
  const { kvHeads, headDim, slots, maxTime, layers } = cache.shape;
  const R = o.rows.slots.length;
  const T = R === 0 ? 0 : q.shape[0] / R;
  const problem =
    !Number.isInteger(T) || T < 1 ? `q has ${q.shape[0]} rows, not a multiple of the ${R} cache rows`
    : q.shape[1] !== o.heads * headDim ? `q is [${q.shape}], expected ${o.heads} heads of ${headDim}`
    : o.heads % kvHeads !== 0 ? `${o.heads} query heads do not group over ${kvHeads} key/value heads`
    : k.shape[1] !== kvHeads * headDim || v.shape[1] !== kvHeads * headDim || k.shape[0] !== q.shape[0] || v.shape[0] !== q.shape[0] ? `k [${k.shape}] / v [${v.shape}] do not match q [${q.shape}] and ${kvHeads} key/value heads of ${headDim}`
    : o.rows.pads.length !== R ? `${R} slots but ${o.rows.pads.length} pads`
    : o.col < 0 || o.col + T > maxTime ? `columns ${o.col}…${o.col + T - 1} are outside the cache's ${maxTime}`
    : o.layer < 0 || o.layer >= layers ? `layer ${o.layer} is outside the cache's ${layers}`
    : o.rows.slots.some((s) => s < 0 || s >= slots) ? `a slot is outside the cache's ${slots}`
    : null;
  if (problem) throw new Error(`kvCacheAttention: ${problem}`);
  if (tf.getKernel(KV_CACHE_ATTENTION, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(KV_CACHE_ATTENTION, { q, k, v } as never, { cache, layer: o.layer, heads: o.heads, slots: o.rows.slots, pads: o.rows.pads, col: o.col } as never) as unknown as tf.Tensor2D;
  }
  return compositeAttention(q, k, v, cache, o, T);
}

/**
 * The plain-tfjs form: per layer a key and a value tensor `[slots, kvHeads, columns, headDim]`
 * that grows by the new columns each call (rows not in the call get zeros there).
 */
class TensorKvStore implements KvStore {
  readonly k: (tf.Tensor4D | null)[];
  readonly v: (tf.Tensor4D | null)[];

  constructor(readonly shape: KvCacheShape) {
    this.k = new Array(shape.layers).fill(null);
    this.v = new Array(shape.layers).fill(null);
  }

  columns(layer: number): number {
    return this.k[layer]?.shape[2] ?? 0;
  }

  /** Append `time` columns; `kNew`/`vNew` are `[rows, kvHeads, time, headDim]` for slots `slots`. */
  append(layer: number, kNew: tf.Tensor4D, vNew: tf.Tensor4D, slots: Int32Array): void {
    const [, H, T, hd] = kNew.shape;
    const idx = tf.tensor2d(slots, [slots.length, 1], 'int32');
    const block = (x: tf.Tensor4D) => tf.scatterND(idx, x, [this.shape.slots, H, T, hd]) as tf.Tensor4D;
    const grow = (old: tf.Tensor4D | null, x: tf.Tensor4D) => tf.keep(old ? tf.concat([old, block(x)], 2) : block(x));
    const k = grow(this.k[layer], kNew);
    const v = grow(this.v[layer], vNew);
    tf.dispose([this.k[layer]!, this.v[layer]!].filter(Boolean));
    this.k[layer] = k;
    this.v[layer] = v;
  }

  copySlots(from: readonly number[], to: readonly number[]): void {
    const map = Array.from({ length: this.shape.slots }, (_, i) => i);
    to.forEach((t, i) => (map[t] = from[i]));
    tf.tidy(() => {
      const idx = tf.tensor1d(map, 'int32');
      for (let l = 0; l < this.shape.layers; l++) {
        const k = this.k[l];
        const v = this.v[l];
        if (!k || !v) continue;
        this.k[l] = tf.keep(tf.gather(k, idx));
        this.v[l] = tf.keep(tf.gather(v, idx));
        tf.dispose([k, v]);
      }
    });
  }

  dispose(): void {
    tf.dispose([...this.k, ...this.v].filter((t): t is tf.Tensor4D => t !== null));
    this.k.fill(null);
    this.v.fill(null);
  }
}

function compositeAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, cache: KvCache, o: KvCacheAttentionOptions, T: number): tf.Tensor2D {
  return tf.tidy(() => composite(q, k, v, cache, o, T));
}

function composite(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, cache: KvCache, o: KvCacheAttentionOptions, T: number): tf.Tensor2D {
  cache.store ??= new TensorKvStore(cache.shape);
  if (!(cache.store instanceof TensorKvStore)) throw new Error('kvCacheAttention: this cache was filled on another backend');
  const store = cache.store;
  const { kvHeads: Hkv, headDim: hd } = cache.shape;
  const H = o.heads;
  const R = o.rows.slots.length;
  if (store.columns(o.layer) !== o.col) throw new Error(`kvCacheAttention: layer ${o.layer} holds ${store.columns(o.layer)} columns; the next write must start there, not at ${o.col}`);
  // [R·T, heads·hd] → [R, heads, T, hd]
  const split = (x: tf.Tensor2D, heads: number) => tf.transpose(tf.reshape(x, [R, T, heads, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
  store.append(o.layer, split(k, Hkv), split(v, Hkv), o.rows.slots);
  const keys = o.col + T;
  const idx = tf.tensor1d(o.rows.slots, 'int32');
  const groups = H / Hkv;
  const repeat = (x: tf.Tensor4D) => (groups === 1 ? x : tf.reshape(tf.tile(tf.expandDims(x, 2), [1, 1, groups, 1, 1]), [R, H, keys, hd]) as tf.Tensor4D);
  const kAll = repeat(tf.gather(store.k[o.layer]!, idx));
  const vAll = repeat(tf.gather(store.v[o.layer]!, idx));
  const mask = new Float32Array(R * T * keys);
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      const c = o.col + t;
      const lo = c < o.rows.pads[r] ? c : o.rows.pads[r];
      const row = (r * T + t) * keys;
      for (let j = 0; j < keys; j++) if (j < lo || j > c) mask[row + j] = MASKED;
    }
  }
  const scores = tf.add(tf.mul(tf.matMul(split(q, H), kAll, false, true), 1 / Math.sqrt(hd)), tf.tensor4d(mask, [R, 1, T, keys]));
  const heads = tf.matMul(tf.softmax(scores), vAll); // [R, H, T, hd]
  return tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [R * T, H * hd]) as tf.Tensor2D;
}
