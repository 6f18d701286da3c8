import * as tf from '@tensorflow/tfjs-core';
import type { GptConfig } from '../config';
import { layerNorm, linear, EVAL_CONTEXT } from './layers';
import { mlp } from './mlp';
import type { Weights } from './weights';

/**
 * Keys and values of every block for a batch of decoding rows, kept in host memory: one
 * preallocated `[slots, heads, maxTime, headDim]` array per block and kind, written in place.
 * On CPU backends this replaces the per-step concatenation of cache tensors and the thousands of
 * tiny per-head matrix products of one-token attention with one tight loop per block.
 */
export class HostKvCache {
  readonly k: Float32Array[] = [];
  readonly v: Float32Array[] = [];
  readonly headDim: number;

  constructor(
    readonly layers: number,
    readonly slots: number,
    readonly heads: number,
    readonly maxTime: number,
    d: number,
  ) {
    this.headDim = d / heads;
    const size = slots * heads * maxTime * this.headDim;
    for (let l = 0; l < layers; l++) {
      this.k.push(new Float32Array(size));
      this.v.push(new Float32Array(size));
    }
  }

  /** Copy row `row` of prefill keys/values `[rows, heads, time, headDim]` into `slot`, columns 0..time−1. */
  fill(layer: number, k: Float32Array, v: Float32Array, time: number, row: number, slot: number): void {
    const hd = this.headDim;
    for (let h = 0; h < this.heads; h++) {
      const src = (row * this.heads + h) * time * hd;
      const dst = (slot * this.heads + h) * this.maxTime * hd;
      this.k[layer].set(k.subarray(src, src + time * hd), dst);
      this.v[layer].set(v.subarray(src, src + time * hd), dst);
    }
  }
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
  const K = cache.k[layer];
  const V = cache.v[layer];
  const out = new Float32Array(R * d);
  const scores = new Float64Array(col + 1);
  const scale = 1 / Math.sqrt(hd);
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
function hostLayerNorm(x: Float32Array, d: number, g: Float32Array, b: Float32Array, eps: number): Float32Array {
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
function hostBiasGelu(x: Float32Array, bias: Float32Array): void {
  const n = bias.length;
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

/** `a @ w` through the backend's matrix product (BLAS on apogee-cpu); host arrays in and out. */
function hostMatMul(a: Float32Array, rows: number, w: tf.Tensor, transposeB = false): Float32Array {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [rows, a.length / rows]), w as tf.Tensor2D, false, transposeB));
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
  const host = (name: string) => w.get(name).dataSync() as Float32Array;
  const wte = host('wte.weight');
  const wpe = host('wpe.weight');
  const x = new Float32Array(R * d);
  for (let r = 0; r < R; r++) {
    for (let e = 0; e < d; e++) x[r * d + e] = wte[ids[r] * d + e] + wpe[positions[r] * d + e];
  }
  for (let i = 0; i < config.nLayer; i++) {
    const p = `h.${i}`;
    const qkv = hostMatMul(hostLayerNorm(x, d, host(`${p}.ln_1.weight`), host(`${p}.ln_1.bias`), eps), R, w.get(`${p}.attn.c_attn.weight`));
    hostBias(qkv, host(`${p}.attn.c_attn.bias`));
    const heads = hostAttention(cache, i, qkv, rows, col);
    hostResidual(x, hostMatMul(heads, R, w.get(`${p}.attn.c_proj.weight`)), host(`${p}.attn.c_proj.bias`));
    const hidden = hostMatMul(hostLayerNorm(x, d, host(`${p}.ln_2.weight`), host(`${p}.ln_2.bias`), eps), R, w.get(`${p}.mlp.c_fc.weight`));
    hostBiasGelu(hidden, host(`${p}.mlp.c_fc.bias`));
    hostResidual(x, hostMatMul(hidden, R, w.get(`${p}.mlp.c_proj.weight`)), host(`${p}.mlp.c_proj.bias`));
  }
  const final = hostLayerNorm(x, d, host('ln_f.weight'), host('ln_f.bias'), eps);
  return tf.matMul(tf.tensor2d(final, [R, d]), w.get('wte.weight'), false, true);
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
