import { ApogeeError, ERROR_CODES, scheduledOptimizer, token, type OptimizerConfig } from '@apogee/core';
import { z } from 'zod';

/**
 * Training settings every policy update shares. `lr` may be one rate or one per round: the paper
 * used 5e-6, 2e-6, 9e-7 for rounds 1–3 of LLaMA-7B (docs/concepts/apo.md §4); rounds past the list's end
 * use its last entry.
 */
export const trainingSchema = z.object({
  /** Peak learning rate, or one per round (`[5e-6, 2e-6, 9e-7]` in the paper, 7B). */
  lr: z.union([z.number().positive(), z.array(z.number().positive()).min(1)]).default(5e-6),
  /** Passes over the round's training examples. */
  epochs: z.number().int().min(1).max(1000).default(1),
  /** Examples (queries, pairs) per optimizer step. */
  batchSize: z.number().int().min(1).max(65536).default(8),
  /** Linear warm-up steps (capped at the round's total). */
  warmupSteps: z.number().int().min(0).default(0),
  /**
   * Decay within a round after warm-up. Default `constant`: the paper lowers the rate from round
   * to round (`lr: [5e-6, 2e-6, 9e-7]`), and a round of the game is often only a few steps long.
   */
  schedule: z.enum(['constant', 'linear', 'cosine']).default('constant'),
  /** Decoupled weight decay (AdamW). */
  weightDecay: z.number().min(0).default(0),
  /** Global gradient-norm clip; 0 disables. */
  gradClip: z.number().min(0).default(1),
});
export type TrainingOptions = z.infer<typeof trainingSchema>;

/** The learning rate of `round` (1-based). */
export function lrForRound(lr: number | readonly number[], round: number): number {
  if (typeof lr === 'number') return lr;
  return lr[Math.min(round, lr.length) - 1];
}

/** The optimizer config of one round's update of `totalSteps` steps. */
export function optimizerFor(options: TrainingOptions, round: number, totalSteps: number): OptimizerConfig {
  return scheduledOptimizer({ ...options, lr: lrForRound(options.lr, round) }, totalSteps);
}

export const rjsOptionsSchema = trainingSchema.strict();
export type RjsOptions = z.infer<typeof rjsOptionsSchema>;

export const dpoUpdateOptionsSchema = trainingSchema
  .extend({
    /**
     * Which scored samples make the DPO pairs (docs/concepts/apo.md §5 leaves it open):
     * - `best-worst` (default): per query, the best non-empty sample ≻ the worst other sample;
     * - `best-rest`: the best non-empty sample ≻ each other sample with a lower score;
     * - `all`: every pair of samples with different scores, higher ≻ lower (non-empty chosen).
     */
    pairs: z.enum(['best-worst', 'best-rest', 'all']).default('best-worst'),
    /**
     * π_ref of the DPO loss: `initial` (default) is π₀, the policy before round 1 (the game's KL
     * constraint KL[π ‖ π_ref] ≤ η2 with one fixed reference); `round-start` is the policy at the
     * start of this round (iterative/online DPO).
     */
    reference: z.enum(['initial', 'round-start']).default('initial'),
  })
  .strict();
export type DpoUpdateOptions = z.infer<typeof dpoUpdateOptionsSchema>;

export const rrhfUpdateOptionsSchema = trainingSchema.strict();
export type RrhfUpdateOptions = z.infer<typeof rrhfUpdateOptionsSchema>;

export const goldenSftOptionsSchema = trainingSchema.strict();
export type GoldenSftOptions = z.infer<typeof goldenSftOptionsSchema>;

export const RJS_OPTIONS = token<RjsOptions>('@apogee/updates', 'RjsOptions');
export const DPO_UPDATE_OPTIONS = token<DpoUpdateOptions>('@apogee/updates', 'DpoUpdateOptions');
export const RRHF_UPDATE_OPTIONS = token<RrhfUpdateOptions>('@apogee/updates', 'RrhfUpdateOptions');
export const GOLDEN_SFT_OPTIONS = token<GoldenSftOptions>('@apogee/updates', 'GoldenSftOptions');

/** Thrown when an update is given nothing it can train on. */
export function nothingToTrain(update: string, why: string): ApogeeError {
  return new ApogeeError(ERROR_CODES.DATA_INVALID, `The "${update}" policy update has nothing to train on: ${why}.`, {
    hint: 'Check the LLM queries, the sampler (empty samples?) and the RM scores of this round.',
  });
}
