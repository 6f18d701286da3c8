import { ApogeeError, ERROR_CODES, token } from '@apogee/core';
import { z } from 'zod';

/**
 * How each round's reward model is trained (APO paper §3 and the reference code's RM script).
 * The defaults are the reference settings for a 7B model; small models want a larger `lr`.
 */
export const rmTrainingSchema = z
  .object({
    /** Peak learning rate of AdamW. Reference: 1e-6 (LLaMA-7B). */
    lr: z.number().positive().default(1e-6),
    /** Passes over the round's RM items. Reference: 1. */
    epochs: z.number().int().min(1).max(1000).default(1),
    /** Items per optimizer step. Reference: 64. */
    batchSize: z.number().int().min(1).max(65536).default(64),
    /** Linear warm-up steps (capped at the total step count). Reference: 100. */
    warmupSteps: z.number().int().min(0).default(100),
    /** Decay after warm-up. Reference: linear. */
    schedule: z.enum(['constant', 'linear', 'cosine']).default('linear'),
    /** Decoupled weight decay. Reference: 0. */
    weightDecay: z.number().min(0).default(0),
    /** Global gradient-norm clip; 0 disables. Default 1.0. */
    gradClip: z.number().min(0).default(1),
  })
  .strict();

/**
 * Supervised fine-tuning of π₀ on the data's demonstrations (`GameData.sftDemos`, e.g. the
 * world's), before round 1: the paper's methods all start from an SFT model. Skipped when the data
 * has no demonstrations or `enabled` is false (bring an SFT model with `policyDir` instead).
 */
export const sftInitSchema = z
  .object({
    /** Fine-tune π₀ on `sftDemos` when the data has them. */
    enabled: z.boolean().default(true),
    /** Passes over the demonstrations. */
    epochs: z.number().int().min(1).max(1000).default(2),
    /** Demonstrations per optimizer step. */
    batchSize: z.number().int().min(1).default(16),
    /** Peak learning rate (a small from-scratch model learns at 1e-3; a pretrained 7B at ~1e-5). */
    lr: z.number().positive().default(1e-3),
    /** Linear warm-up steps (capped at the total). */
    warmupSteps: z.number().int().min(0).default(0),
    /** Decay after warm-up (constant: a short SFT should not spend its last steps at a rate near 0). */
    schedule: z.enum(['constant', 'linear', 'cosine']).default('constant'),
    /** Global gradient-norm clip; 0 disables. */
    gradClip: z.number().min(0).default(1),
  })
  .strict();

/** Options of the `apoGame` plugin. Game-wide settings shared with the CLI live in core's `GameConfig`. */
export const gameOptionsSchema = z
  .object({
    /**
     * APO (`true`: the RM is retrained every round on human pairs + golden-vs-sample items) or the
     * baseline (`false`: RM_Base trained once on human pairs). The one home of the choice: variant
     * presets fix it; `config.game.apo` may only repeat it ({@link gameApo}). Unset in both: APO.
     */
    apo: z.boolean().optional(),
    /** RM training per round (APO) or once (baseline). */
    rm: rmTrainingSchema.default(rmTrainingSchema.parse({})),
    /** SFT of π₀ on the data's demonstrations before round 1. */
    sftInit: sftInitSchema.default(sftInitSchema.parse({})),
    /** Load the initial policy π₀ from this directory; unset: `PolicyFactory.create` with the run's tokenizer. */
    policyDir: z.string().min(1).optional(),
    /** Prompts per `generate` call (progress and abort are checked between calls). */
    generateChunk: z.number().int().min(1).default(16),
    /** Rows per forward pass when scoring samples with the RM. */
    scoreBatchSize: z.number().int().min(1).default(32),
    /** Write a checkpoint at the end of every phase (into `dir`). `false`: keep everything in memory. */
    checkpoint: z.boolean().default(true),
    /** Checkpoint directory; unset: `<config.outDir>/checkpoints`. */
    dir: z.string().min(1).optional(),
    /** Allow `run()` to start over in a directory that already holds a checkpoint (it is replaced). */
    overwrite: z.boolean().default(false),
  })
  .strict();

export type RmTrainingOptions = z.infer<typeof rmTrainingSchema>;
export type SftInitOptions = z.infer<typeof sftInitSchema>;
export type GameOptions = z.infer<typeof gameOptionsSchema>;
export type GameOptionsInput = z.input<typeof gameOptionsSchema>;

/** The `apoGame` plugin's options, registered under their own token. */
export const GAME_OPTIONS = token<GameOptions>('@apogee/game', 'GameOptions');

/**
 * Whether the game plays APO: the `apo-game` plugin's `apo` (a variant preset fixes it), else
 * `config.game.apo`, else `true`. A config that sets `game.apo` to the other value is refused,
 * naming the field, instead of being silently overridden (docs/decisions/0091-one-place-for-apo.md).
 * `by` names what fixed `apo` in the message (`the variant "dpo"`).
 */
export function gameApo(configApo: boolean | undefined, optionApo: boolean | undefined, by = 'the apo-game plugin'): boolean {
  if (configApo !== undefined && optionApo !== undefined && configApo !== optionApo) {
    const plays = (apo: boolean) => (apo ? 'APO (apo: true)' : 'the RM_Base baseline (apo: false)');
    throw new ApogeeError(ERROR_CODES.CONFIG_INVALID, `The config's game.apo disagrees with ${by}:`, {
      problems: [{ path: 'game.apo', message: `is ${configApo}, but ${by} plays ${plays(optionApo)}` }],
      hint: `Delete game.apo from the config (the variant decides), or choose a variant that plays ${configApo ? 'APO (dpo-apo, rjs-apo, rrhf-apo)' : 'the baseline (dpo, rjs, rrhf, golden-sft)'}.`,
    });
  }
  return optionApo ?? configApo ?? true;
}
