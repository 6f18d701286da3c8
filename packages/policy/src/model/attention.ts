import * as tf from '@tensorflow/tfjs-core';
import { dropout, linear, type ForwardContext } from './layers';
import type { Weights } from './weights';

/** Keys and values of one block for the positions seen so far: [batch, heads, time, headDim]. */
export type LayerKv = {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
};

export interface AttentionInput {
  /** [batch·time, d] normalised residual stream. */
  x: tf.Tensor2D;
  batch: number;
  time: number;
  nHead: number;
  /** Additive mask, broadcastable to [batch, heads, time, keys]: 0 where allowed, −1e9 where not. */
  bias: tf.Tensor4D;
  /** Cached keys/values of earlier positions (generation). */
  past?: LayerKv;
}

/**
 * Causal multi-head self-attention (Vaswani et al. 2017) as in GPT-2: one fused QKV projection,
 * scaled dot products with an additive mask, one output projection. Returns the keys and values
 * including `past`, for the KV cache.
 */
export function attention(w: Weights, prefix: string, input: AttentionInput, ctx: ForwardContext): { y: tf.Tensor2D; kv: LayerKv } {
  const { x, batch: B, time: T, nHead: H, bias, past } = input;
  const d = x.shape[1];
  const hd = d / H;
  const qkv = linear(x, w.get(`${prefix}.c_attn.weight`), w.get(`${prefix}.c_attn.bias`));
  // [B·T, 3d] → [3, B, H, T, hd] in one transpose, then split into q, k, v.
  const [q, kNew, vNew] = tf.unstack(tf.transpose(tf.reshape(qkv, [B, T, 3, H, hd]), [2, 0, 3, 1, 4])) as tf.Tensor4D[];
  const k = past ? tf.concat([past.k, kNew], 2) : kNew;
  const v = past ? tf.concat([past.v, vNew], 2) : vNew;
  const scores = tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true), bias);
  const probs = dropout(tf.softmax(scores), ctx);
  const heads = tf.matMul(probs, v); // [B, H, T, hd]
  const merged = T === 1 ? tf.reshape(heads, [B, d]) : tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B * T, d]);
  const y = linear(merged as tf.Tensor2D, w.get(`${prefix}.c_proj.weight`), w.get(`${prefix}.c_proj.bias`));
  return { y: dropout(y, ctx), kv: { k, v } };
}
