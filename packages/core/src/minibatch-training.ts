import type { LossOutput, OptimizerConfig, TrainStepResult } from './contracts/training';
import type { Rng } from './rng';

/** A model that takes optimizer steps: `PolicyModel` (forward `PolicyForward`) or `RewardModel` (`RewardForward`). */
export interface MinibatchTrainable<F> {
  setOptimizer(config: OptimizerConfig): void;
  trainStep(loss: (forward: F) => LossOutput): Promise<TrainStepResult>;
}

/** How {@link trainMinibatches} walks the examples. */
export interface MinibatchSchedule {
  /** Passes over the examples, each in a fresh order. */
  epochs: number;
  /** Examples per optimizer step (the last batch of an epoch may be smaller). */
  batchSize: number;
  /**
   * One epoch's batches as indices into the examples, drawn from `rng` (e.g. {@link lengthBatches}).
   * Default: one `rng.shuffle` of the indices, cut into `batchSize` runs.
   */
  batches?(count: number, rng: Rng): number[][];
}

export interface MinibatchHooks {
  /** Checked before every step; `true` stops the loop (the caller discards the work). */
  shouldStop?(): boolean;
  /**
   * Called after every optimizer step with the total step count: emit events, and guard the loss
   * (e.g. throw `NON_FINITE`), which stops the loop with that error. Awaited only when it returns a
   * promise, so a synchronous hook runs before the next step without an extra tick.
   */
  onStep?(result: TrainStepResult, totalSteps: number): void | Promise<void>;
}

export interface MinibatchTrainingResult {
  /** Optimizer steps taken. */
  steps: number;
  /** Steps the schedule plans: `ceil(examples / batchSize) · epochs`. */
  totalSteps: number;
  /** Mean `loss` and loss metrics over the last epoch's steps; `{}` when stopped. */
  metrics: Record<string, number>;
  /** `shouldStop` asked the loop to stop before all steps were taken. */
  stopped: boolean;
}

/** The optimizer settings the game's trainers share (RM training, SFT of π₀, each round's policy update). */
export interface ScheduledOptimizerOptions {
  /** Peak learning rate. */
  lr: number;
  /** Linear warm-up steps, capped at the planned total. */
  warmupSteps: number;
  /** Decay after warm-up. */
  schedule: NonNullable<OptimizerConfig['schedule']>;
  /** Decoupled weight decay; left out of the config when the trainer has none. */
  weightDecay?: number;
  /** Global gradient-norm clip; 0 disables. */
  gradClip: number;
}

/** The optimizer config of a run of `totalSteps` steps: warm-up capped at the total, then the schedule. */
export function scheduledOptimizer(options: ScheduledOptimizerOptions, totalSteps: number): OptimizerConfig {
  return {
    lr: options.lr,
    warmupSteps: Math.min(options.warmupSteps, totalSteps),
    totalSteps,
    schedule: options.schedule,
    ...(options.weightDecay === undefined ? {} : { weightDecay: options.weightDecay }),
    gradClip: options.gradClip,
  };
}

/** Optimizer steps of `epochs` passes over `count` examples in batches of `batchSize`. */
export function minibatchSteps(count: number, schedule: MinibatchSchedule): number {
  return Math.ceil(count / schedule.batchSize) * schedule.epochs;
}

/**
 * Shuffled minibatches of similar length (less padding, so less compute): shuffle, sort within
 * windows of 8 batches by length, cut into batches, shuffle the batches. As many batches as a plain
 * shuffle gives (`ceil(n / batchSize)`), so the planned step count is the same.
 */
export function lengthBatches(lengths: readonly number[], batchSize: number, rng: Rng): number[][] {
  const idx = rng.shuffle(lengths.map((_, i) => i));
  const window = batchSize * 8;
  const batches: number[][] = [];
  for (let w = 0; w < idx.length; w += window) {
    const part = idx.slice(w, w + window).sort((a, b) => lengths[a] - lengths[b]);
    for (let b = 0; b < part.length; b += batchSize) batches.push(part.slice(b, b + batchSize));
  }
  return rng.shuffle(batches);
}

/** One epoch's batches in a fresh order: one `rng.shuffle`, cut into `batchSize` runs. */
function shuffledBatches(count: number, batchSize: number, rng: Rng): number[][] {
  const order = rng.shuffle(Array.from({ length: count }, (_, i) => i));
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

/**
 * The minibatch loop every trainer of the game shares (RM training, SFT of π₀, the policy updates):
 * set the optimizer for the planned step count, then `epochs` passes over `examples`, each in a
 * fresh order from `rng.shuffle` (one shuffle per epoch, drawn before its steps; or the schedule's
 * own `batches`), `batchSize` examples per `model.trainStep`. `lossFor(batch, epoch)` runs outside
 * the step (per-batch preparation) and returns the loss the step differentiates. `shouldStop` is checked before every step and
 * `onStep` called after it. Uses only core contracts, so components and the game can both use it.
 */
export async function trainMinibatches<T, F>(
  model: MinibatchTrainable<F>,
  examples: readonly T[],
  schedule: MinibatchSchedule,
  optimizer: (totalSteps: number) => OptimizerConfig,
  rng: Rng,
  lossFor: (batch: T[], epoch: number) => (forward: F) => LossOutput,
  hooks: MinibatchHooks = {},
): Promise<MinibatchTrainingResult> {
  const totalSteps = minibatchSteps(examples.length, schedule);
  model.setOptimizer(optimizer(totalSteps));
  let sums: Record<string, number> = {};
  let count = 0;
  let steps = 0;
  for (let epoch = 0; epoch < schedule.epochs; epoch++) {
    const batches = schedule.batches ? schedule.batches(examples.length, rng) : shuffledBatches(examples.length, schedule.batchSize, rng);
    sums = {};
    count = 0;
    for (const indices of batches) {
      if (hooks.shouldStop?.()) return { steps, totalSteps, metrics: {}, stopped: true };
      const batch = indices.map((i) => examples[i]);
      const result = await model.trainStep(lossFor(batch, epoch));
      const pending = hooks.onStep?.(result, totalSteps);
      if (pending !== undefined) await pending;
      steps += 1;
      sums.loss = (sums.loss ?? 0) + result.loss;
      for (const [k, v] of Object.entries(result.metrics)) sums[k] = (sums[k] ?? 0) + v;
      count += 1;
    }
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) metrics[k] = v / Math.max(count, 1);
  return { steps, totalSteps, metrics, stopped: false };
}
