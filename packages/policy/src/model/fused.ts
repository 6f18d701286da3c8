import * as tf from '@tensorflow/tfjs-core';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/*
 * Row logsumexp with a hand-written gradient. Autodiff through max/sub/exp/sum/log costs more
 * passes over the [rows, vocab] logits and a broadcasting Equal from the gradient of max. Tensors
 * the gradient needs are kept with `save`, never closed over (tfjs disposes closed-over
 * intermediates before the backward pass). LayerNorm and GELU come fused from `@apogee/runtime`.
 */

/** log Σ_j exp(x[i, j]) for each row; gradient dy · softmax(x). */
export const logSumExpRows = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const max = tf.max(x, 1, true);
  const value = tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, max)), 1)), tf.reshape(max, [-1]));
  save([x, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, v] = saved;
      return tf.mul(tf.expandDims(dy, 1), tf.exp(tf.sub(xs, tf.expandDims(v, 1))));
    },
  };
}) as unknown as CustomGradFn) as (x: tf.Tensor2D) => tf.Tensor1D;
