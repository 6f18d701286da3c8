// The game's sampling, scoring and evaluation as jobs (issue 19): the same numbers in-process and
// on a local pool of two real child processes, which rebuild the run's plugins from a recipe and
// load the models by snapshot hash.
import * as path from 'node:path';
import { TOKENS } from '@apogee/core';
import { COMPONENT_RECIPE, EXECUTOR, InProcessExecutor, LocalPoolExecutor, type Executor } from '@apogee/executor';
import { evaluator } from '@apogee/eval';
import { makeTempDir } from '@apogee/testing';
import { tinyRun } from '../test/tiny-game';
import { TINY_EVALUATOR } from '../test/tiny-components';
import { shardRanges } from './jobs';
import type { ApoGameController } from './game-controller';

const RECIPE_MODULE = path.join(__dirname, '..', 'test', 'tiny-components.ts');

describe('the game on an executor', () => {
  it('cuts shards of a fixed size, whatever the number of workers', () => {
    expect(shardRanges(7, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
    expect(shardRanges(0, 3)).toEqual([]);
  });

  it('gives the same metrics in-process and on two pool processes (models by snapshot hash, no checkpoint)', async () => {
    const tmp = makeTempDir('apogee-game-jobs-');
    const play = async (executor: Executor, checkpoint: boolean) => {
      const outDir = path.join(tmp.dir, executor.kind);
      // jobSize 1: each of the 4 RM and 4 LLM queries is a job; the evaluator's 3 test prompts are 2 jobs.
      const run = await tinyRun(outDir, { evaluate: true, game: { jobSize: 1, checkpoint }, extra: [evaluator(TINY_EVALUATOR)] });
      run.container.register(EXECUTOR, { useValue: executor });
      run.container.register(COMPONENT_RECIPE, { useValue: { module: RECIPE_MODULE, name: 'tinyComponents', input: { outDir } } });
      const progress: Array<{ phase: string; done: number; total: number }> = [];
      run.container.register(TOKENS.RoundCallback, { useValue: { onProgress: (e: { phase: string; done: number; total: number }) => void progress.push(e) } });
      try {
        const result = await (run.resolve(TOKENS.GameController) as ApoGameController).run();
        return { metrics: result.metrics, reports: result.reports, progress };
      } finally {
        await run.dispose();
        await executor.close();
      }
    };
    try {
      const local = await play(new InProcessExecutor(), true);
      const pool = await play(new LocalPoolExecutor({ workers: 2 }), false);
      expect(pool.metrics).toEqual(local.metrics);
      expect(pool.reports).toEqual(local.reports);
      expect(local.metrics.map((m) => Number.isFinite(m.goldReward) && Number.isFinite(m.rmAccuracyPolicy))).toEqual([true, true]);
      // Progress counts jobs: 4 per sampling phase, done across the workers in any order.
      const llm = pool.progress.filter((e) => e.phase === 'sample-llm');
      expect(llm.map((e) => e.total)).toEqual([4, 4, 4, 4, 4, 4, 4, 4]);
      expect(llm.slice(0, 4).map((e) => e.done)).toEqual([1, 2, 3, 4]);
      // The evaluator's jobs too: round 1 adds π₀'s baseline (2 jobs) to the round's 2, in both executors.
      for (const p of [local.progress, pool.progress]) {
        expect(p.filter((e) => e.phase === 'eval').map((e) => `${e.done}/${e.total}`)).toEqual(['1/4', '2/4', '3/4', '4/4', '1/2', '2/2']);
      }
    } finally {
      tmp.cleanup();
    }
  }, 600_000);
});
