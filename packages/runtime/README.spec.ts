// The README's usage example: it must keep working.
import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { initBackend } from './src';

it('README example runs', async () => {
  const info = await initBackend({ logger: silentLogger });
  const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 4]));
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.ones([3]));
  expect(info.name).toBe('apogee-cpu'); // no tfjs-node on this machine
  expect(tf.getBackend()).toBe('apogee-cpu');
  expect(Array.from(y.dataSync())).toEqual(new Array(8).fill(3));
  expect(Array.from(g.dataSync())).toEqual([2, 2, 2]);
});
