// The README's usage example, verbatim in substance: RJS-APO runs end to end on a tiny world.
import 'reflect-metadata';
import { createRun, TOKENS } from '@apogee/core';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { sampler } from '@apogee/samplers';
import { byteTokenizer } from '@apogee/tokenizers';
import { worldDataSource } from '@apogee/world';
import { initBackend } from '@apogee/runtime';
import { makeTempDir } from '@apogee/testing';
import rjsApo from './src';

it('README example: RJS-APO plays a round end to end', async () => {
  await initBackend({ logger: { info: () => undefined, warn: () => undefined, debug: () => undefined } });
  const tmp = makeTempDir('apogee-rjs-apo-');
  const outDir = tmp.dir;
  const run = await createRun({
    config: { seed: 1, outDir, game: { rounds: 1, samplesPerQuery: 2, maxNewTokens: 8 } },
    plugins: [byteTokenizer(), gptPolicy({ config: { nLayer: 1, nEmbd: 32, nHead: 2 } }), gptReward(), sampler(),
      worldDataSource({ rmPrompts: 4, llmPrompts: 4, sftDemos: 8 }),
      rjsApo({ game: { rm: { lr: 1e-3, batchSize: 8, schedule: 'constant' }, sftInit: { epochs: 1 } }, update: { lr: 1e-3, schedule: 'constant' } })],
  });
  const result = await run.resolve(TOKENS.GameController).run();  // result.metrics[0]['policy/loss'], …
  await run.dispose();
  tmp.cleanup();
  const m = result.metrics[0];
  expect(result.metrics).toHaveLength(1);
  for (const [k, v] of Object.entries(m)) expect({ k, finite: Number.isFinite(v) }).toEqual({ k, finite: true });
  expect(m['policy/steps']).toBeGreaterThan(0);
  expect(m['rm/items_apo']).toBe(8);
  expect('sample-rm/samples' in m).toBe(true);
  expect('score/mean' in m).toBe(true);
});
