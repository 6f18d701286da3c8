import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../model/layers';
import type { Weights } from '../model/weights';

/**
 * PyTorch's `nn.Linear` as Hugging Face Llama checkpoints store it: `x @ Wᵀ (+ b)` with `W` as
 * `[out, in]`; the bias is used when the model has one (`<prefix>.bias`). One fused op, plus
 * the low-rank update when an adapter covers this projection.
 */
export function dense(w: Weights, prefix: string, x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
  const bias = w.has(`${prefix}.bias`) ? w.get(`${prefix}.bias`) : undefined;
  const y = tf.fused.matMul({ a: x, b: w.get(`${prefix}.weight`) as tf.Tensor2D, transposeB: true, bias }) as tf.Tensor2D;
  return ctx.adapter?.covers(prefix) ? ctx.adapter.apply(prefix, x, y, ctx) : y;
}
