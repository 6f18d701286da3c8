import * as tf from '@tensorflow/tfjs-core';
import type { LayerKv } from '../model/attention';
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
  shape: { batch: number; time: number; bias: tf.Tensor4D; rope: RopeTable; past?: LayerKv },
  ctx: ForwardContext,
): { x: tf.Tensor2D; kv: LayerKv } {
  const p = `model.layers.${i}`;
  const a = llamaAttention(w, `${p}.self_attn`, c, { x: rmsNorm(x, w.get(`${p}.input_layernorm.weight`), c.rmsNormEps), ...shape }, ctx);
  const h = tf.add<tf.Tensor2D>(x, a.y);
  const m = swiGluMlp(w, `${p}.mlp`, rmsNorm(h, w.get(`${p}.post_attention_layernorm.weight`), c.rmsNormEps), ctx);
  return { x: tf.add<tf.Tensor2D>(h, m), kv: a.kv };
}
