import type { Evaluation } from '@apogee/core';
import { roundDir } from '../checkpoint';
import { stopIfAsked, type PhaseRunner } from './phase-runner';

/** Where a round's report part is kept, so a resumed run returns the reports of rounds it did not replay. */
export const reportFile = (round: number): string => `${roundDir(round)}/report.json`;

/** `eval`: the evaluator's metrics of the round; its report part goes to `GameResult.reports`. */
export const evaluate: PhaseRunner = async ({ round, phase, rng, parts, play }) => {
  await play.callbacks.onPhaseStart({ round, phase });
  const { policy, reference, rm } = play.models;
  // The evaluator's jobs, counted on the phase's progress bar (in order, whatever order the jobs end in).
  let pending: Promise<void> = Promise.resolve();
  const onProgress = (done: number, total: number) => {
    pending = pending.then(() => play.callbacks.onProgress({ round, phase, done, total }));
    return pending;
  };
  let evaluation: Evaluation;
  try {
    evaluation = await parts.evaluator!.evaluate({ round, policy, reference, reward: rm!, rng, signal: play.signal, onProgress });
  } finally {
    await pending;
  }
  const { metrics, report } = evaluation;
  stopIfAsked(play.signal);
  play.reports.push({ round, ...report });
  if (play.store && report) await play.store.writeArtifact(reportFile(round), `${JSON.stringify({ round, ...report })}\n`);
  return metrics;
};
