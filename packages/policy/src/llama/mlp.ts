import * as tf from '@tensorflow/tfjs-core';
import { dropout, type ForwardContext } from '../model/layers';
import { dense } from './dense';
import type { Weights } from '../model/weights';

/** SwiGLU MLP (Shazeer 2020, "GLU Variants Improve Transformer"): down(silu(gate(x)) ⊙ up(x)). */
export function swiGluMlp(w: Weights, prefix: string, x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
  const gate = dense(w, `${prefix}.gate_proj`, x, ctx);
  const up = dense(w, `${prefix}.up_proj`, x, ctx);
  const h = tf.mul<tf.Tensor2D>(tf.mul(gate, tf.sigmoid(gate)), up);
  return dropout(dense(w, `${prefix}.down_proj`, h, ctx), ctx);
}
