import type * as tf from '@tensorflow/tfjs-core';
import { logSumExpRows as runtimeLogSumExpRows } from '@apogee/runtime';

/**
 * log Σ_j exp(x[i, j]) for each row; gradient dy · softmax(x). One kernel and a one-kernel
 * gradient on apogee-cpu (`@apogee/runtime`'s fused op, which computes the same max-shifted
 * formula from tfjs ops on other backends). LayerNorm and GELU come fused from there too.
 */
export const logSumExpRows = (x: tf.Tensor2D): tf.Tensor1D => runtimeLogSumExpRows(x);
