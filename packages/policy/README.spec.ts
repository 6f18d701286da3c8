// The README's usage example, verbatim in substance: it must keep working.
import 'reflect-metadata';
import * as path from 'node:path';
import { initBackend } from '@apogee/runtime';
import { Rng, silentLogger } from '@apogee/core';
import { ComposableSampler } from '@apogee/samplers';
import { GptPolicy } from './src';

it('README example: load a Hugging Face GPT-2 directory, generate, score', async () => {
  await initBackend({ logger: silentLogger });
  const policy = await GptPolicy.load(path.join(__dirname, 'fixtures/tiny-gpt2-hf'));
  const [[sample]] = await policy.generate(['Hello, my name is'], { sampler: new ComposableSampler({ temperature: 0.7 }), rng: Rng.fromSeed(1), maxNewTokens: 20, stop: ['\n'] });
  const { sum, count } = await policy.logProbs([{ prompt: 'Hello, my name is', response: sample.text }]);
  expect(policy.tokenizer.vocabSize).toBe(337);
  expect(sample.tokenIds.length).toBeGreaterThan(0);
  expect(sample.text).not.toContain('\n');
  expect(Number.isFinite(sum[0]) && sum[0] < 0).toBe(true);
  expect(count[0]).toBeGreaterThan(0);
  policy.dispose();
});
