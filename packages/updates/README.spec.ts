// The README's usage example, verbatim in substance: it must keep working.
import 'reflect-metadata';
import { createRun, TOKENS, type TrainStepResult } from '@apogee/core';
import { sftLoss } from '@apogee/losses';
import { gptPolicy } from '@apogee/policy';
import { initBackend } from '@apogee/runtime';
import { byteTokenizer } from '@apogee/tokenizers';
import { rjsUpdate } from './src';

it('README example: one RJS update trains on the best-scored sample', async () => {
  await initBackend({ logger: { info: () => undefined, warn: () => undefined, debug: () => undefined } });
  const steps: TrainStepResult[] = [];
  const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ config: { nLayer: 1, nEmbd: 32, nHead: 2 } }), sftLoss(), rjsUpdate({ lr: [5e-3, 2e-3], batchSize: 2, schedule: 'constant' })] });
  const policy = await run.resolve(TOKENS.PolicyFactory).create({ tokenizer: run.resolve(TOKENS.Tokenizer), seed: 1 });
  const best = { prompt: '\n\nHuman: 2+2?\n\nAssistant:', response: ' 4.' };
  const before = (await policy.logProbs([best])).sum[0];
  const result = await run.resolve(TOKENS.PolicyUpdate).update({
    round: 1, policy, reference: policy, queries: [], golden: [], rng: run.resolve(TOKENS.Rng).stream('update'),
    scored: [{ queryId: 'q1', prompt: '\n\nHuman: 2+2?\n\nAssistant:', samples: [' 4.', ' 5.'], scores: [1.2, -0.3] }],
    onStep: (step) => void steps.push(step),
  });
  const after = (await policy.logProbs([best])).sum[0];
  await policy.dispose(); await run.dispose();
  expect(result.steps).toBe(1);
  expect(steps[0].lr).toBe(5e-3); // round 1's rate from the per-round list
  expect(result.metrics.examples).toBe(1);
  expect(after).toBeGreaterThan(before); // the best sample became more likely
});
