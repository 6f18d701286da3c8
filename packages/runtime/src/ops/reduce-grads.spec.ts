/**
 * apogee's Sum and Mean gradients (a broadcast of dy) give exactly tfjs's (dy · ones(x.shape)),
 * checked on the cpu backend (the gradients are registered for every backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, silentLogger } from '@apogee/core';
import { initBackend } from '../init-backend';

beforeAll(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
});

it('Sum and Mean gradients equal tfjs\'s dy · ones(x.shape), bit for bit, on the cpu backend too', async () => {
  const rng = Rng.fromSeed(5, 'reduce-grads');
  for (const backend of ['apogee-cpu', 'cpu']) {
    await tf.setBackend(backend);
    for (const [shape, axis] of [[[3, 4, 5], 1], [[3, 4, 5], [0, 2]], [[6, 7], undefined], [[6, 7], -1], [[2, 0, 3], 1]] as [number[], number | number[] | undefined][]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
      for (const [name, op] of [['sum', tf.sum], ['mean', tf.mean]] as const) {
        const y = op(x, axis, true);
        const dy = tf.tensor(Float32Array.from({ length: y.size }, () => rng.normal()), y.shape);
        const [got] = tf.grads((t: tf.Tensor) => op(t, axis, true))([x], dy);
        const count = size / Math.max(1, y.size);
        const spread = tf.mul(dy, tf.ones(shape));
        const want = name === 'sum' ? spread : tf.div(spread, count);
        expect(got.shape).toEqual(shape);
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        tf.dispose([y, dy, got, spread, want]);
      }
      x.dispose();
    }
  }
  await tf.setBackend('apogee-cpu');
});
