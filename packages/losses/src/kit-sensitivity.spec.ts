// The conformance kit's checks can fail: a loss with a wrong gradient is caught.
import * as tf from '@tensorflow/tfjs-core';
import type { LossOutput } from '@apogee/core';
import { gradientMismatches, type LossSample } from '@apogee/testing';
import { useCpuBackend } from '../test/tf-setup';
import { negLogSigmoid } from './numerics';

beforeAll(useCpuBackend);

/** −log σ(x) summed, with its gradient optionally scaled by `wrong` (1 = correct). */
function loss(wrong: number): { name: string; compute(x: tf.Tensor1D): LossOutput } {
  const body = (x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return { value: tf.sum(negLogSigmoid(x)), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(tf.mul(dy, tf.neg(tf.sigmoid(tf.neg(saved)))), wrong) };
  };
  const f = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]);
  return { name: 'probe', compute: (x) => ({ loss: f(x) as tf.Scalar }) };
}

const sample: LossSample<tf.Tensor1D> = { params: () => [tf.tensor1d([0.3, -1.2, 2])], build: ([x]) => x as tf.Tensor1D };

it('gradientMismatches accepts a correct gradient and catches a wrong one', () => {
  expect(gradientMismatches(loss(1), sample)).toEqual([]);
  const bad = gradientMismatches(loss(1.5), sample);
  expect(bad.map((m) => m.index)).toEqual([0, 1, 2]);
});
