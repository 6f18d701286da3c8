// The README's usage example, verbatim in substance: it must keep working.
import 'reflect-metadata';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { GptPolicy } from '@apogee/policy';
import { GptReward } from './src';

it('README example: a reward model from a policy, one training step, scores', async () => {
  await initBackend({ logger: silentLogger });
  const policy = await GptPolicy.load(path.join(__dirname, '../policy/fixtures/tiny-gpt2-hf'));
  const rm = GptReward.fromBackbone(policy.model, policy.tokenizer, 1);
  rm.setOptimizer({ lr: 1e-3 });
  const pairs = [{ prompt: 'Q:', response: ' good' }, { prompt: 'Q:', response: ' bad' }];
  const before = await rm.score(pairs);
  const step = await rm.trainStep((f) => { const r = f.rewards(pairs); return { loss: tf.mean(tf.softplus(tf.sub(tf.gather(r, 1), tf.gather(r, 0)))) as tf.Scalar }; });
  const scores = await rm.score(pairs);
  expect(scores).toHaveLength(2);
  expect(step.step).toBe(1);
  expect(scores[0] - scores[1]).toBeGreaterThan(before[0] - before[1]);
  rm.dispose();
  policy.dispose();
});
