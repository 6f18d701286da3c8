import * as tf from '@tensorflow/tfjs-core';
import { multiHeadAttention, scaledMaskedSoftmax } from '@apogee/runtime';
import type { LayerKv } from '../model/attention';
import { dropout, type ForwardContext } from '../model/layers';
import type { Weights } from '../model/weights';
import type { LlamaConfig } from './config';
import { dense } from './dense';
import { applyRope, type RopeTable } from './rope';

export interface LlamaAttentionInput {
  /** [batch·time, d] normalised residual stream. */
  x: tf.Tensor2D;
  batch: number;
  time: number;
  /** Additive mask broadcastable to [batch, heads, time, keys]: 0 where allowed, −1e9 where not. */
  bias: tf.Tensor4D;
  /** Rotation angles of the `batch·time` positions. */
  rope: RopeTable;
  /** Cached keys/values of earlier positions, `[batch, kvHeads, past, headDim]`, already rotated. */
  past?: LayerKv;
}

/**
 * Causal self-attention of a Llama-family block: separate q/k/v projections (biased in Qwen2),
 * rotary embeddings on q and k, `nKvHead` key/value heads each shared by `nHead / nKvHead` query
 * heads (grouped-query attention, Ainslie et al. 2023), output projection. Returns the block's
 * keys and values (rotated, `nKvHead` heads, `past` included) for the KV cache.
 */
export function llamaAttention(w: Weights, prefix: string, c: LlamaConfig, input: LlamaAttentionInput, ctx: ForwardContext): { y: tf.Tensor2D; kv: LayerKv } {
  const { x, batch: B, time: T, bias, rope, past } = input;
  const H = c.nHead;
  const Hkv = c.nKvHead;
  const hd = c.headDim;
  const q = applyRope(tf.reshape(dense(w, `${prefix}.q_proj`, x, ctx), [B * T, H, hd]), rope);
  const k = applyRope(tf.reshape(dense(w, `${prefix}.k_proj`, x, ctx), [B * T, Hkv, hd]), rope);
  const v = tf.reshape(dense(w, `${prefix}.v_proj`, x, ctx), [B * T, Hkv, hd]) as tf.Tensor3D;
  // [B·T, Hkv, hd] → [B, Hkv, T, hd]: the cache layout.
  const toCache = (t: tf.Tensor3D) => tf.transpose(tf.reshape(t, [B, T, Hkv, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
  let merged: tf.Tensor2D;
  let kv: LayerKv;
  if (!past && !(ctx.train && ctx.dropout > 0)) {
    // Whole sequences: every query head gets its group's key/value head, and the fused op of
    // @apogee/runtime (one kernel and a one-kernel gradient on apogee-cpu) does the rest.
    const qkv = tf.concat([tf.reshape(q, [B * T, H * hd]), repeatKvRows(k, H / Hkv), repeatKvRows(v, H / Hkv)], 1) as tf.Tensor2D;
    merged = multiHeadAttention(qkv, bias, { batch: B, heads: H });
    kv = lazyKv(() => [toCache(k), toCache(v)]);
  } else {
    const kAll = past ? tf.concat([past.k, toCache(k)], 2) : toCache(k);
    const vAll = past ? tf.concat([past.v, toCache(v)], 2) : toCache(v);
    const qh = tf.transpose(tf.reshape(q, [B, T, H, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
    const scores = tf.matMul(qh, repeatKvHeads(kAll, H / Hkv), false, true);
    const probs = dropout(scaledMaskedSoftmax(scores, bias, 1 / Math.sqrt(hd)), ctx);
    const heads = tf.matMul(probs, repeatKvHeads(vAll, H / Hkv)); // [B, H, T, hd]
    merged = tf.reshape(T === 1 ? heads : tf.transpose(heads, [0, 2, 1, 3]), [B * T, H * hd]) as tf.Tensor2D;
    kv = { k: kAll, v: vAll };
  }
  return { y: dropout(dense(w, `${prefix}.o_proj`, merged, ctx), ctx), kv };
}

/** `[rows, Hkv, hd]` → `[rows, Hkv·groups·hd]`: key/value head j serves query heads j·groups … (j+1)·groups − 1 (Hugging Face's `repeat_kv`). */
function repeatKvRows(t: tf.Tensor3D, groups: number): tf.Tensor2D {
  const [rows, Hkv, hd] = t.shape;
  const rep = groups === 1 ? t : tf.tile(tf.expandDims(t, 2), [1, 1, groups, 1]);
  return tf.reshape(rep, [rows, Hkv * groups * hd]);
}

/** `[B, Hkv, T, hd]` → `[B, Hkv·groups, T, hd]`, the same grouping. */
function repeatKvHeads(t: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups === 1) return t;
  const [B, Hkv, T, hd] = t.shape;
  return tf.reshape(tf.tile(tf.expandDims(t, 2), [1, 1, groups, 1, 1]), [B, Hkv * groups, T, hd]);
}

/** Keys/values built on first read (only KV-cache prefills read them). */
function lazyKv(make: () => tf.Tensor4D[]): LayerKv {
  let parts: tf.Tensor4D[] | null = null;
  return {
    get k() { return (parts ??= make())[0]; },
    get v() { return (parts ??= make())[1]; },
  };
}
