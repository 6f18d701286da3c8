import {
  lengthBatches,
  scheduledOptimizer,
  trainMinibatches,
  type MinibatchSchedule,
  type PolicyForward,
  type PolicyModel,
  type PromptResponse,
  type Rng,
  type SftLoss,
  type TrainStepResult,
} from '@apogee/core';
import type { SftInitOptions } from './options';

/**
 * {@link sftPolicy}'s options: the game's `sftInit` options, and three knobs for a policy that
 * starts from nothing (the quickstart's π₀ uses them; the game's `sftInit` leaves them at their defaults).
 */
export interface SftPolicyOptions extends Omit<SftInitOptions, 'enabled'> {
  /**
   * The first `lmWarmupEpochs` passes train on whole dialogues (prompt tokens too): many more
   * targets per sequence for a model that starts from nothing; the rest is SFT on responses. Default 0.
   */
  lmWarmupEpochs?: number;
  /** `length`: shuffled batches of similar length (core's `lengthBatches`, less padding); `shuffle` (default): one shuffle per epoch. */
  batching?: 'shuffle' | 'length';
  /** Steps the decay schedule plans beyond the last optimizer step (0, the default: decay over exactly the planned steps). */
  extraScheduleSteps?: number;
}

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
  options: SftPolicyOptions,
  rng: Rng,
  onStep: (result: TrainStepResult, totalSteps: number) => void | Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<Record<string, number> | undefined> {
  const lmWarmupEpochs = options.lmWarmupEpochs ?? 0;
  const asLm = lmWarmupEpochs > 0 ? demos.map((d) => ({ prompt: '', response: d.prompt + d.response })) : [];
  const schedule: MinibatchSchedule = {
    epochs: options.epochs,
    batchSize: options.batchSize,
    ...(options.batching === 'length'
      ? { batches: (_count: number, r: Rng) => lengthBatches(demos.map((d) => d.prompt.length + d.response.length), options.batchSize, r) }
      : {}),
  };
  const examples = demos.map((_, i) => i);
  const { totalSteps, metrics, stopped } = await trainMinibatches(
    policy,
    examples,
    schedule,
    (total) => ({ ...scheduledOptimizer(options, total), totalSteps: total + (options.extraScheduleSteps ?? 0) }),
    rng,
    (batch, epoch) => {
      const rows = batch.map((i) => (epoch < lmWarmupEpochs ? asLm[i] : demos[i]));
      return (forward: PolicyForward) => loss.compute({ logProbs: forward.responseLogProbs(rows) });
    },
    { shouldStop, onStep },
  );
  if (stopped) return undefined;
  return { 'sft/loss': metrics.loss ?? 0, 'sft/steps': totalSteps, 'sft/demos': demos.length };
}
