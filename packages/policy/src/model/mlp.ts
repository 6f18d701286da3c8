import type * as tf from '@tensorflow/tfjs-core';
import { dropout, gelu, linear, type ForwardContext } from './layers';
import type { Weights } from './weights';

/** GPT-2's position-wise MLP: d → 4d → GELU → d. */
export function mlp(w: Weights, prefix: string, x: tf.Tensor2D, activation: 'gelu_new' | 'gelu', ctx: ForwardContext): tf.Tensor2D {
  const h = gelu(linear(x, w.get(`${prefix}.c_fc.weight`), w.get(`${prefix}.c_fc.bias`)), activation);
  return dropout(linear(h, w.get(`${prefix}.c_proj.weight`), w.get(`${prefix}.c_proj.bias`)), ctx);
}
