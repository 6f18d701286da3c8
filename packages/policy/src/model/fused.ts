import * as tf from '@tensorflow/tfjs-core';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/*
 * Three ops with hand-written gradients. Autodiff through their elementwise pieces costs two to
 * three times as many passes over the largest activations (and, for logsumexp, a broadcasting
 * Equal from the gradient of max); on CPU backends elementwise passes dominate a training step.
 * Tensors a gradient needs are kept with `save`, never closed over (tfjs disposes closed-over
 * intermediates before the backward pass).
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

const A = 2 * Math.sqrt(2 / Math.PI);
const AB = A * 0.044715;

/** GPT-2's tanh GELU, x·σ(A·(x + 0.044715x³)) with A = 2√(2/π); gradient σ + x·σ(1−σ)·A(1 + 3·0.044715x²). */
export const geluTanh = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(tf.square(x), AB), A)));
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ss] = saved;
      const du = tf.add(tf.mul(tf.square(xs), 3 * AB), A);
      return tf.mul(dy, tf.add(ss, tf.mul(tf.mul(xs, tf.mul(ss, tf.sub(1, ss))), du)));
    },
  };
}) as unknown as CustomGradFn) as (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * LayerNorm over the last axis of `x` [rows, d] with gain `g` and bias `b` [d]. Gradient:
 * dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)) with ĝ = dy·g; dg = Σ dy·x̂; db = Σ dy.
 */
export function layerNormRows(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor2D {
  const op = tf.customGrad(((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const centred = tf.sub(xi, tf.mean(xi, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, gi]);
    return {
      value: tf.add(tf.mul(xhat, gi), bi),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved;
        const gHat = tf.mul(dy, gs);
        const dx = tf.mul(rs, tf.sub(tf.sub(gHat, tf.mean(gHat, -1, true)), tf.mul(xh, tf.mean(tf.mul(gHat, xh), -1, true))));
        return [dx, tf.sum(tf.mul(dy, xh), 0), tf.sum(dy, 0)];
      },
    };
  }) as unknown as CustomGradFn);
  return op(x, g, b) as tf.Tensor2D;
}
