/**
 * The fused ops on apogee-cpu (single kernels) against their composite form on the cpu backend:
 * values and gradients, tolerance 1e-5 + 1e-4·|x|.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, silentLogger } from '@apogee/core';
import { initBackend } from '../init-backend';
import { adamwUpdate, geluTanh, layerNorm } from './fused';
import { expectSameAsCpu, randomInputs } from '../testing/kernel-compare';

const rng = Rng.fromSeed(11, 'fused');
beforeAll(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
});

function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor) {
  return (...xs: tf.Tensor[]) => {
    const w = tf.sin(tf.reshape(tf.range(0, f(...xs).size, 1, 'float32'), f(...xs).shape));
    return [f(...xs), ...tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w)))(xs)];
  };
}

it('geluTanh: values and gradient match the composite form (GPT-2 gelu_new)', () => {
  for (const shape of [[7], [16, 33], [2, 3, 4], [0, 5]]) {
    expectSameAsCpu(randomInputs(rng, [shape], 3), withGrads((x) => geluTanh(x)), undefined, `gelu [${shape}]`);
  }
  expectSameAsCpu(randomInputs(rng, [[64]], 40), (x) => geluTanh(x), undefined, 'gelu large');
});

it('layerNorm: values and gradients for x, gamma and beta match the composite form', () => {
  for (const shape of [[5, 8], [2, 3, 16], [1, 1], [4, 1]]) {
    const d = shape[shape.length - 1];
    const inputs = randomInputs(rng, [shape, [d], [d]]);
    expectSameAsCpu(inputs, withGrads((x, g, b) => layerNorm(x, g, b, 1e-5)), { rtol: 1e-4, atol: 1e-4 }, `layerNorm [${shape}]`);
  }
});

it('adamwUpdate: one fused pass equals the composite AdamW step', () => {
  const inputs = randomInputs(rng, [[6, 5], [6, 5], [6, 5], [6, 5]]);
  inputs[2].values = inputs[2].values.map((x) => x * x); // v ≥ 0
  for (const o of [
    { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1, weightDecay: 0, gradScale: 1 },
    { lr: 3e-4, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, step: 7, weightDecay: 0.1, gradScale: 0.25 },
  ]) {
    expectSameAsCpu(inputs, (p, m, v, g) => {
      const r = adamwUpdate(p, m, v, g, o);
      return [r.param, r.m, r.v];
    }, undefined, `adamw ${JSON.stringify(o)}`);
  }
});

it('fall back to tfjs ops on backends without the kernels', async () => {
  await tf.setBackend('cpu');
  const y = geluTanh(tf.tensor1d([0, 1]));
  expect(y.dataSync()[0]).toBe(0);
  expect(y.dataSync()[1]).toBeCloseTo(0.8412, 4);
  await tf.setBackend('apogee-cpu');
});
