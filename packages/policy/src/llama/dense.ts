import * as tf from '@tensorflow/tfjs-core';
import type { Weights } from '../model/weights';

/**
 * PyTorch's `nn.Linear` as Hugging Face Llama checkpoints store it: `x @ Wᵀ (+ b)` with `W` as
 * `[out, in]`; the bias is used when the model has one (`<prefix>.bias`). One fused op.
 */
export function dense(w: Weights, prefix: string, x: tf.Tensor2D): tf.Tensor2D {
  const bias = w.has(`${prefix}.bias`) ? w.get(`${prefix}.bias`) : undefined;
  return tf.fused.matMul({ a: x, b: w.get(`${prefix}.weight`) as tf.Tensor2D, transposeB: true, bias }) as tf.Tensor2D;
}
