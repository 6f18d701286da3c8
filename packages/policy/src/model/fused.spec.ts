import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { maxAbsDiff } from '@apogee/testing';
import { geluTanh, layerNorm } from '@apogee/runtime';
import { logSumExpRows } from './fused';

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

/** Values and gradients (of Σ w·f(x), w random) of a hand-written op and its plain-ops reference agree. */
async function expectSameValueAndGrads(ours: (...xs: tf.Tensor[]) => tf.Tensor, reference: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]) {
  const w = tf.randomNormal(ours(...inputs).shape, 0, 1, 'float32', 3);
  const f = (fn: (...xs: tf.Tensor[]) => tf.Tensor) => (...xs: tf.Tensor[]) => tf.sum(tf.mul(fn(...xs), w));
  expect(maxAbsDiff(await ours(...inputs).data(), await reference(...inputs).data())).toBeLessThan(1e-5);
  const ga = tf.grads(f(ours))(inputs);
  const gb = tf.grads(f(reference))(inputs);
  for (let i = 0; i < inputs.length; i++) expect(maxAbsDiff(await ga[i].data(), await gb[i].data())).toBeLessThan(1e-4);
}

describe('hand-written and fused gradients', () => {
  const input = () => tf.randomNormal([6, 16], 0, 2, 'float32', 1) as tf.Tensor2D;
  it('logSumExpRows matches tf.logSumExp', () => expectSameValueAndGrads((a) => logSumExpRows(a as tf.Tensor2D), (a) => tf.logSumExp(a, 1), [input()]));
  it('geluTanh (runtime) matches 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))', () =>
    expectSameValueAndGrads((a) => geluTanh(a as tf.Tensor2D), (a) => tf.mul(tf.mul(a, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(a, tf.mul(0.044715, tf.pow(a, 3))))))), [input()]));
  it('layerNorm (runtime) matches moments-based LayerNorm, for x, gain and bias', () => {
    const g = tf.randomNormal([16], 1, 0.1, 'float32', 2);
    const b = tf.randomNormal([16], 0, 0.1, 'float32', 4);
    return expectSameValueAndGrads(
      (a, gg, bb) => layerNorm(a as tf.Tensor2D, gg, bb, 1e-5),
      (a, gg, bb) => {
        const { mean, variance } = tf.moments(a, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), gg), bb);
      },
      [input(), g, b],
    );
  });
});
