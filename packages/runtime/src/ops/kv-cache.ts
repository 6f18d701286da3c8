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
 * The plain-tfjs form: per layer a key and a value tensor `[slots, maxTime, kvHeads, headDim]`
 * (zeros until written), replaced by `where(written, scattered, old)` on every write.
 */
class TensorKvStore implements KvStore {
  readonly k: tf.Tensor4D[];
  readonly v: tf.Tensor4D[];

  constructor(readonly shape: KvCacheShape) {
    const { layers, slots, maxTime, kvHeads, headDim } = shape;
    this.k = Array.from({ length: layers }, () => tf.keep(tf.zeros([slots, maxTime, kvHeads, headDim])) as tf.Tensor4D);
    this.v = Array.from({ length: layers }, () => tf.keep(tf.zeros([slots, maxTime, kvHeads, headDim])) as tf.Tensor4D);
  }

  /** Write rows `[R·T, kvHeads·headDim]` at columns col … col + T − 1 of `slots`. */
  write(layer: number, kNew: tf.Tensor2D, vNew: tf.Tensor2D, slots: Int32Array, col: number, T: number): void {
    const { slots: S, maxTime, kvHeads, headDim } = this.shape;
    const at = new Int32Array(slots.length * T * 2);
    slots.forEach((slot, r) => {
      for (let t = 0; t < T; t++) at.set([slot, col + t], (r * T + t) * 2);
    });
    const idx = tf.tensor2d(at, [slots.length * T, 2], 'int32');
    const written = tf.cast(tf.reshape(tf.scatterND(idx, tf.ones([slots.length * T], 'int32'), [S, maxTime]), [S, maxTime, 1, 1]), 'bool');
    const put = (old: tf.Tensor4D, x: tf.Tensor2D) => tf.keep(tf.where(written, tf.scatterND(idx, tf.reshape(x, [-1, kvHeads, headDim]), old.shape), old)) as tf.Tensor4D;
    const k = put(this.k[layer], kNew);
    const v = put(this.v[layer], vNew);
    tf.dispose([this.k[layer], this.v[layer]]);
    this.k[layer] = k;
    this.v[layer] = v;
  }

  copySlots(from: readonly number[], to: readonly number[]): void {
    const map = Array.from({ length: this.shape.slots }, (_, i) => i);
    to.forEach((t, i) => (map[t] = from[i]));
    tf.tidy(() => {
      const idx = tf.tensor1d(map, 'int32');
      for (let l = 0; l < this.shape.layers; l++) {
        const [k, v] = [this.k[l], this.v[l]];
        this.k[l] = tf.keep(tf.gather(k, idx));
        this.v[l] = tf.keep(tf.gather(v, idx));
        tf.dispose([k, v]);
      }
    });
  }

  dispose(): void {
    tf.dispose([...this.k, ...this.v]);
    this.k.length = 0;
    this.v.length = 0;
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
  store.write(o.layer, k, v, o.rows.slots, o.col, T);
  const keys = o.col + T;
  const idx = tf.tensor1d(o.rows.slots, 'int32');
  const groups = H / Hkv;
  // [slots, maxTime, Hkv, hd] → the rows' first `keys` columns as [R, H, keys, hd] (each key/value head repeated for its query group)
  const rowsOf = (x: tf.Tensor4D) => {
    const t = tf.transpose(tf.slice(tf.gather(x, idx), [0, 0, 0, 0], [R, keys, Hkv, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
    return groups === 1 ? t : (tf.reshape(tf.tile(tf.expandDims(t, 2), [1, 1, groups, 1, 1]), [R, H, keys, hd]) as tf.Tensor4D);
  };
  const kAll = rowsOf(store.k[o.layer]);
  const vAll = rowsOf(store.v[o.layer]);
  const split = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [R, T, H, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
  const mask = new Float32Array(R * T * keys);
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      const c = o.col + t;
      const lo = c < o.rows.pads[r] ? c : o.rows.pads[r];
      const row = (r * T + t) * keys;
      for (let j = 0; j < keys; j++) if (j < lo || j > c) mask[row + j] = MASKED;
    }
  }
  const scores = tf.add(tf.mul(tf.matMul(split(q), kAll, false, true), 1 / Math.sqrt(hd)), tf.tensor4d(mask, [R, 1, T, keys]));
  const heads = tf.matMul(tf.softmax(scores), vAll); // [R, H, T, hd]
  return tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [R * T, H * hd]) as tf.Tensor2D;
}
