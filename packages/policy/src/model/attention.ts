import * as tf from '@tensorflow/tfjs-core';
import { multiHeadAttention, scaledMaskedSoftmax } from '@apogee/runtime';
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
  const split = (): tf.Tensor4D[] => tf.unstack(tf.transpose(tf.reshape(qkv, [B, T, 3, H, hd]), [2, 0, 3, 1, 4])) as tf.Tensor4D[];
  let merged: tf.Tensor2D;
  let kv: LayerKv;
  if (!past && !(ctx.train && ctx.dropout > 0)) {
    // Whole-sequence attention without dropout on the probabilities: one fused op reads q, k, v
    // out of qkv in place and writes the merged heads (apogee-cpu; composite tfjs ops elsewhere).
    merged = multiHeadAttention(qkv, bias, { batch: B, heads: H });
    // Keys and values are only read by KV-cache generation (its prefill); they are built on first
    // access (in the caller's scope, while qkv is alive), so training steps and log-prob or reward
    // forwards, which never read them, pay nothing for the transpose.
    kv = lazyKv(split);
  } else {
    // [B·T, 3d] → [3, B, H, T, hd] in one transpose, then split into q, k, v.
    const [q, kNew, vNew] = split();
    const k = past ? tf.concat([past.k, kNew], 2) : kNew;
    const v = past ? tf.concat([past.v, vNew], 2) : vNew;
    // softmax(q·kᵀ/√hd + mask) as one fused op (one kernel and a one-kernel gradient on apogee-cpu).
    const probs = dropout(scaledMaskedSoftmax(tf.matMul(q, k, false, true), bias, 1 / Math.sqrt(hd)), ctx);
    const heads = tf.matMul(probs, v); // [B, H, T, hd]
    merged = (T === 1 ? tf.reshape(heads, [B, d]) : tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B * T, d])) as tf.Tensor2D;
    kv = { k, v };
  }
  const y = linear(merged, w.get(`${prefix}.c_proj.weight`), w.get(`${prefix}.c_proj.bias`));
  return { y: dropout(y, ctx), kv };
}

/** A LayerKv whose k and v are split out of qkv the first time either is read. */
function lazyKv(split: () => tf.Tensor4D[]): LayerKv {
  let parts: tf.Tensor4D[] | null = null;
  const get = (i: number): tf.Tensor4D => (parts ??= split())[i];
  return {
    get k() { return get(1); },
    get v() { return get(2); },
  };
}
