import * as tf from '@tensorflow/tfjs-core';

/**
 * RMSNorm (Zhang & Sennrich 2019): x / √(mean(x²) + eps) · g over the last axis, no mean
 * subtraction and no bias. Computed in float32 as Hugging Face's `LlamaRMSNorm` does.
 */
export function rmsNorm(x: tf.Tensor2D, g: tf.Tensor, eps: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g));
}
