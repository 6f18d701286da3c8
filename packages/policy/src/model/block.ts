import * as tf from '@tensorflow/tfjs-core';
import type { DecodeCache } from '../causal-lm';
import type { GptConfig } from '../config';
import { attention } from './attention';
import { layerNorm, type ForwardContext } from './layers';
import { mlp } from './mlp';
import type { Weights } from './weights';

/** One pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
export function block(
  w: Weights,
  i: number,
  config: GptConfig,
  x: tf.Tensor2D,
  shape: { batch: number; time: number; bias?: tf.Tensor4D; cache?: DecodeCache },
  ctx: ForwardContext,
): tf.Tensor2D {
  const p = `h.${i}`;
  const eps = config.layerNormEpsilon;
  const a = attention(w, `${p}.attn`, { x: layerNorm(x, w.get(`${p}.ln_1.weight`), w.get(`${p}.ln_1.bias`), eps), nHead: config.nHead, layer: i, ...shape }, ctx);
  const h = tf.add<tf.Tensor2D>(x, a);
  const m = mlp(w, `${p}.mlp`, layerNorm(h, w.get(`${p}.ln_2.weight`), w.get(`${p}.ln_2.bias`), eps), config.activation, ctx);
  return tf.add<tf.Tensor2D>(h, m);
}
