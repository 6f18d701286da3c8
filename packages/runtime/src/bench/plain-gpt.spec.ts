import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { initBackend } from '../init-backend';
import { layersFitStep, plainGptStep } from './plain-gpt';

beforeAll(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
});

it('the plain-tfjs GPT step trains on apogee-cpu without leaking tensors', async () => {
  const step = await plainGptStep({ layers: 1, d: 16, heads: 2, time: 8, batch: 2, vocab: 16 });
  await step.step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await step.step();
  expect(tf.memory().numTensors).toBe(before);
  step.dispose();
});

it('the tf.sequential model.fit case runs an epoch without leaking tensors', async () => {
  const step = await layersFitStep();
  await step.step();
  const before = tf.memory().numTensors;
  await step.step();
  expect(tf.memory().numTensors).toBe(before);
  expect(step.info).toEqual({ samples: 1024, batch: 128 });
  step.dispose();
});
