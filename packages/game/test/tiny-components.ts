// The tiny game's components as a ComponentRecipe builder: what a worker process of the local pool
// builds for the game's jobs in src/jobs.spec.ts (apogee run's own builder is @apogee/cli/run-components).
import 'reflect-metadata';
import { createRun, silentLogger, TOKENS } from '@apogee/core';
import type { Components } from '@apogee/executor/contract';
import { evaluator } from '@apogee/eval';
import { initQuietBackend } from './quiet-backend';
import { tinyConfig, tinyPlugins } from './tiny-game';

export const TINY_EVALUATOR = { policySamples: 2, maxNewTokens: 8, jobSize: 2 };

export async function tinyComponents(input: unknown): Promise<Components> {
  const { outDir } = input as { outDir: string };
  await initQuietBackend();
  const run = await createRun({ plugins: tinyPlugins({ evaluate: true, extra: [evaluator(TINY_EVALUATOR)] }), config: tinyConfig(outDir) });
  run.container.register(TOKENS.Logger, { useValue: silentLogger });
  return { resolve: <T>(t: symbol) => run.resolve(t as never) as T, dispose: () => run.dispose() };
}
