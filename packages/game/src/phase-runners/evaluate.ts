import { stopIfAsked, type PhaseRunner } from './phase-runner';

/** `eval`: the evaluator's metrics of the round; its report part goes to `GameResult.reports`. */
export const evaluate: PhaseRunner = async ({ round, phase, rng, parts, play }) => {
  await play.callbacks.onPhaseStart({ round, phase });
  const { policy, reference, rm } = play.models;
  const { metrics, report } = await parts.evaluator!.evaluate({ round, policy, reference, reward: rm!, rng, signal: play.signal });
  stopIfAsked(play.signal);
  play.reports.push({ round, ...report });
  return metrics;
};
