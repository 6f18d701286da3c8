import type { LossOutput, PolicyForward, PolicyModel, PolicyUpdateContext, PolicyUpdateResult } from '@apogee/core';
import { optimizerFor, type TrainingOptions } from './options';

/**
 * The loop every update shares: `epochs` passes over `examples`, each in a fresh order drawn from
 * the round's RNG, `batchSize` per optimizer step; stops after the current step when the context's
 * signal fires (the game then discards the phase). Returns the mean loss and loss metrics of the
 * last epoch.
 */
export async function trainEpochs<T>(
  policy: PolicyModel,
  examples: readonly T[],
  options: TrainingOptions,
  context: PolicyUpdateContext,
  loss: (batch: T[], forward: PolicyForward) => LossOutput,
): Promise<PolicyUpdateResult> {
  const perEpoch = Math.ceil(examples.length / options.batchSize);
  const total = perEpoch * options.epochs;
  policy.setOptimizer(optimizerFor(options, context.round, total));
  let sums: Record<string, number> = {};
  let count = 0;
  let steps = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = context.rng.shuffle(examples.map((_, i) => i));
    sums = {};
    count = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      if (context.signal?.aborted) return { steps, metrics: {} };
      const batch = order.slice(start, start + options.batchSize).map((i) => examples[i]);
      const result = await policy.trainStep((forward) => loss(batch, forward));
      context.onStep(result);
      steps += 1;
      sums.loss = (sums.loss ?? 0) + result.loss;
      for (const [k, v] of Object.entries(result.metrics)) sums[k] = (sums[k] ?? 0) + v;
      count += 1;
    }
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) metrics[k] = v / Math.max(count, 1);
  return { steps, metrics };
}
