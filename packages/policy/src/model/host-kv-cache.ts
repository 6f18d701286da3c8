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

/**
 * One decoding step of the whole model with attention on the host cache: token + position
 * embeddings, the blocks (LayerNorm, QKV projection, host attention, output projection, MLP),
 * the final LayerNorm and the tied logits `[rows, vocab]`. Call inside `tf.tidy`.
 */
export function hostDecodeStep(w: Weights, config: GptConfig, cache: HostKvCache, ids: Int32Array, positions: Int32Array, rows: HostRows, col: number): tf.Tensor2D {
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
