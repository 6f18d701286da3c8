import type * as tf from '@tensorflow/tfjs-core';
import { rmsNorm as fusedRmsNorm } from '@apogee/runtime';

/**
 * RMSNorm (Zhang & Sennrich 2019): x / √(mean(x²) + eps) · g over the last axis, no mean
 * subtraction and no bias. Computed in float32 as Hugging Face's `LlamaRMSNorm` does:
 * @apogee/runtime's op (one kernel and a one-kernel gradient on apogee-cpu, tfjs ops elsewhere).
 */
export function rmsNorm(x: tf.Tensor2D, g: tf.Tensor, eps: number): tf.Tensor2D {
  return fusedRmsNorm(x, g, eps);
}
