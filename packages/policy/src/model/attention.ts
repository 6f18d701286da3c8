import * as tf from '@tensorflow/tfjs-core';
import { kvCacheAttention, multiHeadAttention, scaledMaskedSoftmax } from '@apogee/runtime';
import type { DecodeCache } from '../causal-lm';
import { dropout, linear, type ForwardContext } from './layers';
import type { Weights } from './weights';

export interface AttentionInput {
  /** [batch·time, d] normalised residual stream. */
  x: tf.Tensor2D;
  batch: number;
  time: number;
  nHead: number;
  /** Additive mask, broadcastable to [batch, heads, time, keys]: 0 where allowed, −1e9 where not (no cache). */
  bias?: tf.Tensor4D;
  /** The block's index (its layer of the KV cache). */
  layer: number;
  /** KV-cache decoding: keys/values go to the cache and queries attend to it. */
  cache?: DecodeCache;
}

/**
 * Causal multi-head self-attention (Vaswani et al. 2017) as in GPT-2: one fused QKV projection,
 * scaled dot products with an additive mask, one output projection. With a KV cache the new
 * keys/values are written to it and the queries attend to the cached ones.
 */
export function attention(w: Weights, prefix: string, input: AttentionInput, ctx: ForwardContext): tf.Tensor2D {
  const { x, batch: B, time: T, nHead: H, bias, cache } = input;
  const d = x.shape[1];
  const hd = d / H;
  const qkv = linear(x, w.get(`${prefix}.c_attn.weight`), w.get(`${prefix}.c_attn.bias`));
  let merged: tf.Tensor2D;
  if (cache) {
    // Decoding (prefill or one token per row): @apogee/runtime's cache op (in place on apogee-cpu).
    const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor2D[];
    merged = kvCacheAttention(q, k, v, cache.kv, { layer: input.layer, heads: H, rows: cache.rows, col: cache.col });
  } else if (!(ctx.train && ctx.dropout > 0)) {
    // Whole-sequence attention without dropout on the probabilities: one fused op reads q, k, v
    // out of qkv in place and writes the merged heads (apogee-cpu; composite tfjs ops elsewhere).
    merged = multiHeadAttention(qkv, bias!, { batch: B, heads: H });
  } else {
    // [B·T, 3d] → [3, B, H, T, hd] in one transpose, then split into q, k, v.
    const [q, k, v] = tf.unstack(tf.transpose(tf.reshape(qkv, [B, T, 3, H, hd]), [2, 0, 3, 1, 4])) as tf.Tensor4D[];
    // softmax(q·kᵀ/√hd + mask) as one fused op (one kernel and a one-kernel gradient on apogee-cpu).
    const probs = dropout(scaledMaskedSoftmax(tf.matMul(q, k, false, true), bias!, 1 / Math.sqrt(hd)), ctx);
    const heads = tf.matMul(probs, v); // [B, H, T, hd]
    merged = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
  }
  const y = linear(merged, w.get(`${prefix}.c_proj.weight`), w.get(`${prefix}.c_proj.bias`));
  return dropout(y, ctx);
}
