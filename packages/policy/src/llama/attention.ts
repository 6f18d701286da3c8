import * as tf from '@tensorflow/tfjs-core';
import { kvCacheAttention, multiHeadAttention, scaledMaskedSoftmax } from '@apogee/runtime';
import type { DecodeCache } from '../causal-lm';
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
  /** Additive mask broadcastable to [batch, heads, time, keys]: 0 where allowed, −1e9 where not (no cache). */
  bias?: tf.Tensor4D;
  /** Rotation angles of the `batch·time` positions. */
  rope: RopeTable;
  /** The block's index (its layer of the KV cache). */
  layer: number;
  /** KV-cache decoding: rotated keys and values go to the cache (`nKvHead` heads) and queries attend to it. */
  cache?: DecodeCache;
}

/**
 * Causal self-attention of a Llama-family block: separate q/k/v projections (biased in Qwen2),
 * rotary embeddings on q and k, `nKvHead` key/value heads each shared by `nHead / nKvHead` query
 * heads (grouped-query attention, Ainslie et al. 2023), output projection. With a KV cache the
 * rotated keys and the values are written to it and the queries attend to the cached ones.
 */
export function llamaAttention(w: Weights, prefix: string, c: LlamaConfig, input: LlamaAttentionInput, ctx: ForwardContext): tf.Tensor2D {
  const { x, batch: B, time: T, bias, rope, cache } = input;
  const H = c.nHead;
  const Hkv = c.nKvHead;
  const hd = c.headDim;
  // [B·T, heads·hd] rows: the queries and keys rotated, the values as projected.
  const q = applyRope(dense(w, `${prefix}.q_proj`, x, ctx), rope, hd);
  const k = applyRope(dense(w, `${prefix}.k_proj`, x, ctx), rope, hd);
  const v = dense(w, `${prefix}.v_proj`, x, ctx);
  let merged: tf.Tensor2D;
  if (cache) {
    // Decoding (prefill or one token per row): @apogee/runtime's cache op keeps nKvHead heads and groups the queries itself.
    merged = kvCacheAttention(q, k, v, cache.kv, { layer: input.layer, heads: H, rows: cache.rows, col: cache.col });
  } else if (!(ctx.train && ctx.dropout > 0)) {
    // Whole sequences: every query head gets its group's key/value head, and the fused op of
    // @apogee/runtime (one kernel and a one-kernel gradient on apogee-cpu) does the rest.
    const qkv = tf.concat([q, repeatKvRows(k, Hkv, hd, H / Hkv), repeatKvRows(v, Hkv, hd, H / Hkv)], 1) as tf.Tensor2D;
    merged = multiHeadAttention(qkv, bias!, { batch: B, heads: H });
  } else {
    // [B·T, heads·hd] → [B, heads, T, hd]
    const heads4 = (t: tf.Tensor2D, n: number) => tf.transpose(tf.reshape(t, [B, T, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
    const scores = tf.matMul(heads4(q, H), repeatKvHeads(heads4(k, Hkv), H / Hkv), false, true);
    const probs = dropout(scaledMaskedSoftmax(scores, bias!, 1 / Math.sqrt(hd)), ctx);
    const heads = tf.matMul(probs, repeatKvHeads(heads4(v, Hkv), H / Hkv)); // [B, H, T, hd]
    merged = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B * T, H * hd]) as tf.Tensor2D;
  }
  return dropout(dense(w, `${prefix}.o_proj`, merged, ctx), ctx);
}

/** `[rows, Hkv·hd]` → `[rows, Hkv·groups·hd]`: key/value head j serves query heads j·groups … (j+1)·groups − 1 (Hugging Face's `repeat_kv`). */
function repeatKvRows(t: tf.Tensor2D, Hkv: number, hd: number, groups: number): tf.Tensor2D {
  if (groups === 1) return t;
  const rows = t.shape[0];
  return tf.reshape(tf.tile(tf.reshape(t, [rows, Hkv, 1, hd]), [1, 1, groups, 1]), [rows, Hkv * groups * hd]);
}

/** `[B, Hkv, T, hd]` → `[B, Hkv·groups, T, hd]`, the same grouping. */
function repeatKvHeads(t: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups === 1) return t;
  const [B, Hkv, T, hd] = t.shape;
  return tf.reshape(tf.tile(tf.expandDims(t, 2), [1, 1, groups, 1, 1]), [B, Hkv * groups, T, hd]);
}
