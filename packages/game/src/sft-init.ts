import { scheduledOptimizer, trainMinibatches, type PolicyForward, type PolicyModel, type PromptResponse, type Rng, type SftLoss, type TrainStepResult } from '@apogee/core';
import type { SftInitOptions } from './options';

/**
 * Make π₀ by supervised fine-tuning on demonstrations (the "SFT model" every method of the paper
 * starts from): cross-entropy on response tokens through `TOKENS.SftLoss`, `epochs` shuffled
 * passes of `batchSize` demos per AdamW step (core's `trainMinibatches`). Returns the mean loss of
 * the last epoch, or `undefined` when `shouldStop` asked it to stop (checked before every step).
 */
export async function sftPolicy(
  policy: PolicyModel,
  demos: readonly PromptResponse[],
  loss: SftLoss,
  options: SftInitOptions,
  rng: Rng,
  onStep: (result: TrainStepResult, totalSteps: number) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<Record<string, number> | undefined> {
  const { totalSteps, metrics, stopped } = await trainMinibatches(
    policy,
    demos,
    options,
    (total) => scheduledOptimizer(options, total),
    rng,
    (batch) => (forward: PolicyForward) => loss.compute({ logProbs: forward.responseLogProbs(batch) }),
    { shouldStop, onStep },
  );
  if (stopped) return undefined;
  return { 'sft/loss': metrics.loss ?? 0, 'sft/steps': totalSteps, 'sft/demos': demos.length };
}
