import * as tf from '@tensorflow/tfjs-core';
import { activeBlas, activeSimd, createSimdKernels, type SimdKernels } from '@apogee/runtime';
import type { GptConfig } from '../config';
import { layerNorm, linear, EVAL_CONTEXT } from './layers';
import { mlp } from './mlp';
import type { Weights } from './weights';

/**
 * Keys and values of every block for a batch of decoding rows, kept in host memory: one
 * preallocated `[slots, heads, maxTime, headDim]` array per block and kind, written in place.
 * On CPU backends this replaces the per-step concatenation of cache tensors and the thousands of
 * tiny per-head matrix products of one-token attention with one tight loop per block.
 *
 * On apogee-cpu with its WebAssembly SIMD kernels (and a head size that is a multiple of 4) the
 * cache lives in a kernels instance of its own, and attention, LayerNorm, bias and GELU of each
 * step run there; otherwise in JS arrays and loops. One cache serves one `generate` call, which
 * is also how long its host copies of the weights (`hostWeight`) are kept.
 */
export class HostKvCache {
  readonly k: Float32Array[] = [];
  readonly v: Float32Array[] = [];
  readonly headDim: number;
  /** The cache's own SIMD kernels instance, or null (JS arrays and loops). */
  readonly simd: SimdKernels | null;
  private readonly kPtr: number[] = [];
  private readonly vPtr: number[] = [];
  private readonly weights = new Map<string, Float32Array>();

  constructor(
    readonly layers: number,
    readonly slots: number,
    readonly heads: number,
    readonly maxTime: number,
    d: number,
    simd: SimdKernels | null | 'auto' = 'auto',
  ) {
    this.headDim = d / heads;
    const size = slots * heads * maxTime * this.headDim;
    this.simd = simd === 'auto'
      ? (tf.getBackend() === 'apogee-cpu' && activeSimd() && this.headDim % 4 === 0 ? takeSpare() ?? createSimdKernels() : null)
      : simd;
    for (let l = 0; l < layers; l++) {
      if (this.simd) {
        this.kPtr.push(this.simd.persist(size));
        this.vPtr.push(this.simd.persist(size));
      } else {
        this.k.push(new Float32Array(size));
        this.v.push(new Float32Array(size));
      }
    }
  }

  /** Copy row `row` of prefill keys/values `[rows, heads, time, headDim]` into `slot`, columns 0..time−1. */
  fill(layer: number, k: Float32Array, v: Float32Array, time: number, row: number, slot: number): void {
    const hd = this.headDim;
    const mem = this.simd?.f32();
    for (let h = 0; h < this.heads; h++) {
      const src = (row * this.heads + h) * time * hd;
      const dst = (slot * this.heads + h) * this.maxTime * hd;
      if (mem) {
        mem.set(k.subarray(src, src + time * hd), this.kPtr[layer] / 4 + dst);
        mem.set(v.subarray(src, src + time * hd), this.vPtr[layer] / 4 + dst);
      } else {
        this.k[layer].set(k.subarray(src, src + time * hd), dst);
        this.v[layer].set(v.subarray(src, src + time * hd), dst);
      }
    }
  }

  /** Byte addresses of layer `layer`'s key and value caches in `simd`'s memory. */
  pointers(layer: number): { k: number; v: number } {
    return { k: this.kPtr[layer], v: this.vPtr[layer] };
  }

  /** Frees the cache; its SIMD kernels instance (and memory) is kept for the next generation's cache. */
  dispose(): void {
    this.weights.clear();
    if (this.simd) {
      this.simd.releasePersistent();
      spare = this.simd;
    }
  }

  /** A host copy of a weight, read once per generation (weights do not change while generating). */
  hostWeight(w: Weights, name: string): Float32Array {
    let values = this.weights.get(name);
    if (!values) {
      values = w.get(name).dataSync() as Float32Array;
      this.weights.set(name, values);
    }
    return values;
  }
}

/**
 * One SIMD kernels instance kept from the last finished generation: WebAssembly memories are
 * large reservations freed only by the garbage collector, so generations reuse one.
 */
let spare: SimdKernels | null = null;

function takeSpare(): SimdKernels | null {
  const s = spare;
  spare = null;
  return s;
}

/** Where each decoding row lives in the cache and which leading columns are its left padding. */
export interface HostRows {
  slot: Int32Array;
  pad: Int32Array;
}

/**
 * One-token causal attention for every row against the host cache. `qkv` is the fused projection
 * `[rows, 3d]` of the new tokens; their keys/values are written at column `col`, then each head
 * attends to columns `pad..col`. Returns the merged heads `[rows, d]`.
 */
export function hostAttention(cache: HostKvCache, layer: number, qkv: Float32Array, rows: HostRows, col: number): Float32Array {
  const { heads: H, headDim: hd, maxTime } = cache;
  const d = H * hd;
  const R = rows.slot.length;
  const scale = 1 / Math.sqrt(hd);
  if (cache.simd) {
    const a = cache.simd.begin();
    const q = a.put(qkv);
    const slots = a.alloc(R);
    const pads = a.alloc(R);
    const out = a.alloc(R * d);
    const scores = a.alloc(maxTime);
    const mem = new Int32Array(a.f32().buffer);
    mem.set(rows.slot, slots / 4);
    mem.set(rows.pad, pads / 4);
    const { k, v } = cache.pointers(layer);
    a.k.decodeAttention(q, k, v, slots, pads, out, scores, R, H, hd, maxTime, col, scale);
    return a.read(out, R * d);
  }
  const K = cache.k[layer];
  const V = cache.v[layer];
  const out = new Float32Array(R * d);
  const scores = new Float64Array(col + 1);
  for (let r = 0; r < R; r++) {
    for (let h = 0; h < H; h++) {
      const base = (rows.slot[r] * H + h) * maxTime * hd;
      const q = r * 3 * d + h * hd;
      K.set(qkv.subarray(q + d, q + d + hd), base + col * hd);
      V.set(qkv.subarray(q + 2 * d, q + 2 * d + hd), base + col * hd);
      let max = -Infinity;
      for (let j = rows.pad[r]; j <= col; j++) {
        let s = 0;
        const kj = base + j * hd;
        for (let e = 0; e < hd; e++) s += qkv[q + e] * K[kj + e];
        s *= scale;
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = rows.pad[r]; j <= col; j++) sum += scores[j] = Math.exp(scores[j] - max);
      const o = r * d + h * hd;
      for (let j = rows.pad[r]; j <= col; j++) {
        const p = scores[j] / sum;
        const vj = base + j * hd;
        for (let e = 0; e < hd; e++) out[o + e] += p * V[vj + e];
      }
    }
  }
  return out;
}

/** Row-wise LayerNorm of `x` `[rows, d]` on the host (same formula as `layerNorm`). */
function hostLayerNorm(cache: HostKvCache, x: Float32Array, d: number, g: Float32Array, b: Float32Array, eps: number): Float32Array {
  if (cache.simd) {
    const a = cache.simd.begin();
    const xp = a.put(x);
    const gp = a.put(g);
    const bp = a.put(b);
    const out = a.alloc(x.length);
    a.k.layerNorm(xp, gp, bp, out, 0, x.length / d, d, eps);
    return a.read(out, x.length);
  }
  const out = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += d) {
    let mean = 0;
    for (let e = 0; e < d; e++) mean += x[o + e];
    mean /= d;
    let variance = 0;
    for (let e = 0; e < d; e++) variance += (x[o + e] - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / d + eps);
    for (let e = 0; e < d; e++) out[o + e] = (x[o + e] - mean) * inv * g[e] + b[e];
  }
  return out;
}

const GELU_A = 2 * Math.sqrt(2 / Math.PI);

/** In place: `x += bias` per row, then GPT-2's tanh GELU as x·σ(2·√(2/π)·(x + 0.044715x³)). */
function hostBiasGelu(cache: HostKvCache, x: Float32Array, bias: Float32Array): void {
  const n = bias.length;
  if (cache.simd) {
    const a = cache.simd.begin();
    const xp = a.put(x);
    a.k.biasGelu(xp, a.put(bias), x.length / n, n);
    x.set(a.at(xp, x.length));
    return;
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i] + bias[i % n];
    x[i] = v / (1 + Math.exp(-GELU_A * (v + 0.044715 * v * v * v)));
  }
}

/** In place: `x += y + bias` per row (a residual branch with its projection bias). */
function hostResidual(x: Float32Array, y: Float32Array, bias: Float32Array): void {
  const n = bias.length;
  for (let i = 0; i < x.length; i++) x[i] += y[i] + bias[i % n];
}

/** In place: `x += bias` per row. */
function hostBias(x: Float32Array, bias: Float32Array): void {
  const n = bias.length;
  for (let i = 0; i < x.length; i++) x[i] += bias[i % n];
}

/**
 * `a @ w` (or `a @ wᵀ`) on host arrays: straight through apogee-cpu's CBLAS when it has one, else
 * through the backend's matrix product.
 */
function hostMatMul(cache: HostKvCache, a: Float32Array, rows: number, w: Weights, name: string, transposeB = false): Float32Array {
  const weight = w.get(name);
  const blas = tf.getBackend() === 'apogee-cpu' ? activeBlas() : null;
  if (blas) {
    const [wr, wc] = weight.shape;
    const k = a.length / rows;
    const n = transposeB ? wr : wc;
    const out = new Float32Array(rows * n);
    blas.sgemm(false, transposeB, rows, n, k, 1, a, k, cache.hostWeight(w, name), wc, 0, out, n);
    return out;
  }
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [rows, a.length / rows]), weight as tf.Tensor2D, false, transposeB));
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

/**
 * One decoding step of the whole model on the host, for CPU backends: embeddings, LayerNorms,
 * GELU, residuals and attention are plain loops over host arrays, and only the matrix products go
 * through tfjs (BLAS on apogee-cpu). Same arithmetic as `gptHidden` + `gptLogits` (checked by the
 * cache-vs-no-cache tests). Returns next-token logits `[rows, vocab]` as a tensor.
 */
export function hostDecodeStep(w: Weights, config: GptConfig, cache: HostKvCache, ids: Int32Array, positions: Int32Array, rows: HostRows, col: number): tf.Tensor2D {
  if (config.activation !== 'gelu_new') return tensorDecodeStep(w, config, cache, ids, positions, rows, col);
  const R = ids.length;
  const d = config.nEmbd;
  const eps = config.layerNormEpsilon;
  const host = (name: string) => cache.hostWeight(w, name);
  const wte = host('wte.weight');
  const wpe = host('wpe.weight');
  const x = new Float32Array(R * d);
  for (let r = 0; r < R; r++) {
    for (let e = 0; e < d; e++) x[r * d + e] = wte[ids[r] * d + e] + wpe[positions[r] * d + e];
  }
  for (let i = 0; i < config.nLayer; i++) {
    const p = `h.${i}`;
    const qkv = hostMatMul(cache, hostLayerNorm(cache, x, d, host(`${p}.ln_1.weight`), host(`${p}.ln_1.bias`), eps), R, w, `${p}.attn.c_attn.weight`);
    hostBias(qkv, host(`${p}.attn.c_attn.bias`));
    const heads = hostAttention(cache, i, qkv, rows, col);
    hostResidual(x, hostMatMul(cache, heads, R, w, `${p}.attn.c_proj.weight`), host(`${p}.attn.c_proj.bias`));
    const hidden = hostMatMul(cache, hostLayerNorm(cache, x, d, host(`${p}.ln_2.weight`), host(`${p}.ln_2.bias`), eps), R, w, `${p}.mlp.c_fc.weight`);
    hostBiasGelu(cache, hidden, host(`${p}.mlp.c_fc.bias`));
    hostResidual(x, hostMatMul(cache, hidden, R, w, `${p}.mlp.c_proj.weight`), host(`${p}.mlp.c_proj.bias`));
  }
  const final = hostLayerNorm(cache, x, d, host('ln_f.weight'), host('ln_f.bias'), eps);
  const logits = hostMatMul(cache, final, R, w, 'wte.weight', true);
  return tf.tensor2d(logits, [R, logits.length / R]);
}

/** The same step with tfjs ops around the host attention (used for the exact-erf GELU). */
function tensorDecodeStep(w: Weights, config: GptConfig, cache: HostKvCache, ids: Int32Array, positions: Int32Array, rows: HostRows, col: number): tf.Tensor2D {
  const R = ids.length;
  const d = config.nEmbd;
  const eps = config.layerNormEpsilon;
  let x = tf.add<tf.Tensor2D>(tf.gather(w.get('wte.weight'), tf.tensor1d(ids, 'int32')), tf.gather(w.get('wpe.weight'), tf.tensor1d(positions, 'int32')));
  for (let i = 0; i < config.nLayer; i++) {
    const p = `h.${i}`;
    const qkv = linear(layerNorm(x, w.get(`${p}.ln_1.weight`), w.get(`${p}.ln_1.bias`), eps), w.get(`${p}.attn.c_attn.weight`), w.get(`${p}.attn.c_attn.bias`));
    const heads = tf.tensor2d(hostAttention(cache, i, qkv.dataSync() as Float32Array, rows, col), [R, d]);
    const h = tf.add<tf.Tensor2D>(x, linear(heads, w.get(`${p}.attn.c_proj.weight`), w.get(`${p}.attn.c_proj.bias`)));
    x = tf.add<tf.Tensor2D>(h, mlp(w, `${p}.mlp`, layerNorm(h, w.get(`${p}.ln_2.weight`), w.get(`${p}.ln_2.bias`), eps), config.activation, EVAL_CONTEXT));
  }
  return tf.matMul(layerNorm(x, w.get('ln_f.weight'), w.get('ln_f.bias'), eps), w.get('wte.weight'), false, true);
}
