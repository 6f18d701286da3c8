// The README's usage example, verbatim in substance: it must keep working.
import 'reflect-metadata';
import { createRun, TOKENS } from '@apogee/core';
import { apoRewardLoss, sftLoss } from '@apogee/losses';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { initBackend } from '@apogee/runtime';
import { sampler } from '@apogee/samplers';
import { makeTempDir } from '@apogee/testing';
import { byteTokenizer } from '@apogee/tokenizers';
import { rjsUpdate } from '@apogee/updates';
import { worldDataSource } from '@apogee/world';
import { apoGame } from './src';

it('README example: two rounds, stopped by the signal after round 1, resumed to the end', async () => {
  await initBackend({ logger: { info: () => undefined, warn: () => undefined, debug: () => undefined } });
  const tmp = makeTempDir('apogee-game-readme-');
  const outDir = tmp.dir;
  const abort = new AbortController();
  const make = () =>
    createRun({
      config: { seed: 1, outDir, game: { rounds: 2, samplesPerQuery: 2, maxNewTokens: 8 } },
      plugins: [byteTokenizer(), gptPolicy({ config: { nLayer: 1, nEmbd: 32, nHead: 2 } }), gptReward(), sampler(),
        worldDataSource({ rmPrompts: 4, llmPrompts: 4, sftDemos: 8 }), sftLoss(), apoRewardLoss(), rjsUpdate({ lr: 1e-3 }),
        apoGame({ rm: { lr: 1e-3, batchSize: 8 } }),
        { name: 'stop-after-round-1', provides: [], options: {}, register: (c) => c.register(TOKENS.RoundCallback, { useValue: { onRoundEnd: () => abort.abort() } }) }],
    });
  const run = await make();
  const game = run.resolve(TOKENS.GameController);
  const result = await game.run({ signal: abort.signal });
  await run.dispose();
  expect(result.stopped).toMatchObject({ reason: 'aborted', round: 1, phase: 'update-policy' });
  expect(result.metrics).toHaveLength(1);

  const again = await make();
  const resumed = await again.resolve(TOKENS.GameController).resume!(outDir);
  await again.dispose();
  tmp.cleanup();
  expect(resumed.stopped).toBeUndefined();
  expect(resumed.metrics.map((m) => m.round)).toEqual([1, 2]);
  expect(resumed.metrics[0]).toEqual(result.metrics[0]);
});
