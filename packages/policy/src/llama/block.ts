import * as tf from '@tensorflow/tfjs-core';
import type { DecodeCache } from '../causal-lm';
import type { ForwardContext } from '../model/layers';
import type { Weights } from '../model/weights';
import { llamaAttention } from './attention';
import type { LlamaConfig } from './config';
import { swiGluMlp } from './mlp';
import { rmsNorm } from './rms-norm';
import type { RopeTable } from './rope';

/** One pre-RMSNorm decoder block: x + attn(norm₁(x)), then x + mlp(norm₂(x)). */
export function llamaBlock(
  w: Weights,
  i: number,
  c: LlamaConfig,
  x: tf.Tensor2D,
  shape: { batch: number; time: number; bias?: tf.Tensor4D; rope: RopeTable; cache?: DecodeCache },
  ctx: ForwardContext,
): tf.Tensor2D {
  const p = `model.layers.${i}`;
  const a = llamaAttention(w, `${p}.self_attn`, c, { x: rmsNorm(x, w.get(`${p}.input_layernorm.weight`), c.rmsNormEps), layer: i, ...shape }, ctx);
  const h = tf.add<tf.Tensor2D>(x, a);
  const m = swiGluMlp(w, `${p}.mlp`, rmsNorm(h, w.get(`${p}.post_attention_layernorm.weight`), c.rmsNormEps), ctx);
  return tf.add<tf.Tensor2D>(h, m);
}
