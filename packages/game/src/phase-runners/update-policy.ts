import type { TrainStepResult } from '@apogee/core';
import { modelDir } from '../checkpoint';
import { checkFinite, reportStep, stopIfAsked, type PhaseRunner } from './phase-runner';

/** `update-policy`: the policy update (RJS, DPO, RRHF, golden SFT…) turns π_t into π_{t+1}. */
export const updatePolicy: PhaseRunner = async (ctx) => {
  const { round, phase, rng, parts, play, work } = ctx;
  const { models } = play;
  await play.callbacks.onPhaseStart({ round, phase });
  let pending: Promise<void> = Promise.resolve();
  const result = await parts.update
    .update({
      round,
      policy: models.policy,
      reference: models.reference,
      queries: play.data.llmQueries,
      scored: play.plan.needsSamples ? (work.scored ?? []) : [],
      golden: play.golden,
      rng,
      signal: play.signal,
      onStep: (step: TrainStepResult) => {
        checkFinite(ctx, step);
        pending = pending.then(() => reportStep(ctx, step));
      },
    })
    .finally(() => pending);
  await pending;
  stopIfAsked(play.signal);
  if (play.store) models.paths.policy = await play.store.saveModel(modelDir('policy', round), (d) => models.policy.save(d));
  const out: Record<string, number> = { 'policy/steps': result.steps };
  for (const [k, v] of Object.entries(result.metrics)) out[`policy/${k}`] = v;
  return out;
};
