import * as tf from '@tensorflow/tfjs-core';
import { scheduledOptimizer, trainMinibatches, type PreferenceItem, type RewardForward, type RewardLoss, type RewardModel, type Rng, type TrainStepResult } from '@apogee/core';
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
 * `rng`, `batchSize` items per AdamW step, warm-up then the chosen decay (docs/concepts/apo.md §3), through
 * core's `trainMinibatches`. Returns the mean loss (and loss metrics) of the last epoch, or
 * `undefined` when stopped.
 */
export async function trainRewardModel(
  rm: RewardModel,
  items: readonly PreferenceItem[],
  loss: RewardLoss,
  options: RmTrainingOptions,
  rng: Rng,
  hooks: RmTrainingHooks,
): Promise<Record<string, number> | undefined> {
  const { totalSteps, metrics, stopped } = await trainMinibatches(
    rm,
    items,
    options,
    (total) => scheduledOptimizer(options, total),
    rng,
    (batch) => {
      const layout = layoutRewardBatch(batch);
      const padded = layout.gather.some((g) => g === layout.flat.length);
      return (forward: RewardForward) => {
        const flat = forward.rewards(layout.flat);
        // Equal-sized items are already row-major [items, k]; only ragged batches need a gather.
        const rewards = padded
          ? tf.reshape(tf.gather(tf.concat([flat, tf.zeros([1])]), tf.tensor1d(layout.gather, 'int32')), [batch.length, layout.k])
          : tf.reshape(flat, [batch.length, layout.k]);
        return loss.compute({ rewards: rewards as tf.Tensor2D, scores: layout.scores, kinds: layout.kinds });
      };
    },
    hooks,
  );
  if (stopped) return undefined;
  const out: Record<string, number> = { 'rm/steps': totalSteps };
  for (const [k, v] of Object.entries(metrics)) out[`rm/${k}`] = v;
  return out;
}
