import type { PolicyModel, PromptResponse, Rng, SftLoss, TrainStepResult } from '@apogee/core';
import type { SftInitOptions } from './options';

/**
 * Make π₀ by supervised fine-tuning on demonstrations (the "SFT model" every method of the paper
 * starts from): cross-entropy on response tokens through `TOKENS.SftLoss`, `epochs` shuffled
 * passes of `batchSize` demos per AdamW step. Returns the mean loss of the last epoch, or
 * `undefined` when `shouldStop` asked it to stop (checked before every step).
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
  const perEpoch = Math.ceil(demos.length / options.batchSize);
  const totalSteps = perEpoch * options.epochs;
  policy.setOptimizer({
    lr: options.lr,
    warmupSteps: Math.min(options.warmupSteps, totalSteps),
    totalSteps,
    schedule: options.schedule,
    gradClip: options.gradClip,
  });
  let sum = 0;
  let count = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = rng.shuffle(demos.map((_, i) => i));
    sum = 0;
    count = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      if (shouldStop()) return undefined;
      const batch = order.slice(start, start + options.batchSize).map((i) => demos[i]);
      const result = await policy.trainStep((forward) => loss.compute({ logProbs: forward.responseLogProbs(batch) }));
      await onStep(result, totalSteps);
      sum += result.loss;
      count += 1;
    }
  }
  return { 'sft/loss': sum / Math.max(count, 1), 'sft/steps': totalSteps, 'sft/demos': demos.length };
}
