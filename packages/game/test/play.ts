/**
 * Child-process driver of the resume tests: `play.ts <outDir> run|resume [update]`.
 * Prints one `EVENT …` line per game event (so the parent can kill it at a chosen point) and a
 * final `RESULT {…}` line with the metrics and a hash of the final weights.
 */
import 'reflect-metadata';
import { TOKENS, type RoundCallback } from '@apogee/core';
import type { ApoGameController } from '../src';
import { tinyRun, weightsHash, type UpdateName } from './tiny-game';

async function main() {
  const [outDir, mode, update = 'rjs'] = process.argv.slice(2);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const run = await tinyRun(outDir, {
    update: update as UpdateName,
    extra: [
      {
        name: 'print-events',
        provides: [TOKENS.RoundCallback],
        options: {},
        register: (c) =>
          c.register(TOKENS.RoundCallback, {
            useValue: {
              onPhaseStart: (e) => say(`EVENT phase-start ${e.round} ${e.phase}`),
              onStep: (e) => say(`EVENT step ${e.round} ${e.phase} ${e.step}`),
              onPhaseEnd: (e) => say(`EVENT phase-end ${e.round} ${e.phase}`),
            } satisfies RoundCallback,
          }),
      },
    ],
  });
  const game = run.resolve(TOKENS.GameController) as ApoGameController;
  const result = mode === 'resume' ? await game.resume(outDir) : await game.run();
  say(`RESULT ${JSON.stringify({ metrics: result.metrics, weights: weightsHash(result.checkpointDir!) })}`);
  await run.dispose();
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
