import * as tf from '@tensorflow/tfjs-core';
import type { PreferenceItem, RewardLoss, RewardModel, Rng, TrainStepResult } from '@apogee/core';
import { layoutRewardBatch } from './items';
import type { RmTrainingOptions } from './options';

export interface RmTrainingHooks {
  /** Called after every optimizer step (checks the loss, emits events); may throw to stop. */
  onStep(result: TrainStepResult, totalSteps: number): Promise<void>;
  /** Checked before every step; return true to stop early (the caller discards the phase). */
  shouldStop(): boolean;
}

/**
 * Train `rm` on `items` with the reward loss: `epochs` passes, each over a fresh shuffle drawn from
 * `rng`, `batchSize` items per AdamW step, warm-up then the chosen decay (apo-method.md §3).
 * Returns the mean loss (and loss metrics) of the last epoch, or `undefined` when stopped.
 */
export async function trainRewardModel(
  rm: RewardModel,
  items: readonly PreferenceItem[],
  loss: RewardLoss,
  options: RmTrainingOptions,
  rng: Rng,
  hooks: RmTrainingHooks,
): Promise<Record<string, number> | undefined> {
  const perEpoch = Math.ceil(items.length / options.batchSize);
  const totalSteps = perEpoch * options.epochs;
  rm.setOptimizer({
    lr: options.lr,
    warmupSteps: Math.min(options.warmupSteps, totalSteps),
    totalSteps,
    schedule: options.schedule,
    weightDecay: options.weightDecay,
    gradClip: options.gradClip,
  });
  let sums: Record<string, number> = {};
  let count = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = rng.shuffle(items.map((_, i) => i));
    sums = {};
    count = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      if (hooks.shouldStop()) return undefined;
      const batch = order.slice(start, start + options.batchSize).map((i) => items[i]);
      const layout = layoutRewardBatch(batch);
      const padded = layout.gather.some((g) => g === layout.flat.length);
      const result = await rm.trainStep((forward) => {
        const flat = forward.rewards(layout.flat);
        // Equal-sized items are already row-major [items, k]; only ragged batches need a gather.
        const rewards = padded
          ? tf.reshape(tf.gather(tf.concat([flat, tf.zeros([1])]), tf.tensor1d(layout.gather, 'int32')), [batch.length, layout.k])
          : tf.reshape(flat, [batch.length, layout.k]);
        return loss.compute({ rewards: rewards as tf.Tensor2D, scores: layout.scores, kinds: layout.kinds });
      });
      await hooks.onStep(result, totalSteps);
      sums.loss = (sums.loss ?? 0) + result.loss;
      for (const [k, v] of Object.entries(result.metrics)) sums[k] = (sums[k] ?? 0) + v;
      count += 1;
    }
  }
  const out: Record<string, number> = { 'rm/steps': totalSteps };
  for (const [k, v] of Object.entries(sums)) out[`rm/${k}`] = v / Math.max(count, 1);
  return out;
}
