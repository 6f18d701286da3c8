import { trainMinibatches, type LossOutput, type PolicyForward, type PolicyUpdateContext, type PolicyUpdateResult } from '@apogee/core';
import { optimizerFor, type TrainingOptions } from './options';

/**
 * One update's move on its examples, the loop every update shares (core's `trainMinibatches`, also
 * used by the game's RM training and SFT of π₀): `epochs` passes over `examples`, each in a fresh
 * order drawn from the round's RNG, `batchSize` per optimizer step; stops after the current step
 * when the context's signal fires (the game then discards the phase). Returns the mean loss and
 * loss metrics of the last epoch followed by the update's own counts (`extra`, e.g. `examples`, `pairs`).
 */
export async function trainUpdate<T>(
  options: TrainingOptions,
  context: PolicyUpdateContext,
  examples: readonly T[],
  loss: (batch: T[], forward: PolicyForward) => LossOutput,
  extra: Record<string, number>,
): Promise<PolicyUpdateResult> {
  const result = await trainMinibatches(
    context.policy,
    examples,
    options,
    (totalSteps) => optimizerFor(options, context.round, totalSteps),
    context.rng,
    (batch) => (forward) => loss(batch, forward),
    { shouldStop: () => context.signal?.aborted === true, onStep: (step) => context.onStep(step) },
  );
  return { steps: result.steps, metrics: { ...result.metrics, ...extra } };
}
