import type { LossOutput, RewardLoss, RewardLossInput } from '@apogee/core';
import { definePlugin, token, TOKENS } from '@apogee/core';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { invalidLossInput } from './numerics';
import { bradleyTerryLoss } from './ranking';
import { aliasAgrees, lossOptions } from './loss-options';
import { centeringCoeffSchema, rankingLossTypeSchema } from './ranking-loss';

/**
 * The APO term's form, the RM's centring, and the APO term weights. `apoLossType` applies to the
 * APO term only (the reference's `apo_loss_type`); the human term is always the ranking loss, as in
 * the reference.
 */
export const apoRewardLossOptionsSchema = z
  .object({
    /**
     * The APO (golden-vs-sample) term's pair form: `ranking` (default, log-sigmoid) or `diff` (the
     * raw difference); the reference's `apo_loss_type`.
     */
    apoLossType: rankingLossTypeSchema.optional(),
    /** @deprecated The old name of `apoLossType` ("variant" names the presets); still accepted. */
    variant: rankingLossTypeSchema.optional(),
    centeringCoeff: centeringCoeffSchema,
    /** Weight of the human-preference (KL[P_human‖Q_r]) term; reference `rm_kl_coeff` = 1.0. */
    rmKlCoeff: z.number().finite().min(0).default(1.0),
    /** Weight of the adversarial golden-vs-sample term; reference `apo_loss_coeff` = 0.1. */
    apoLossCoeff: z.number().finite().min(0).default(0.1),
    /** Samples per RM query; the APO term is divided by it. Reference `apo_sample_num` = 4. */
    apoSampleNum: z.number().int().positive().default(4),
  })
  .strict()
  .superRefine(aliasAgrees('apoLossType', 'variant'))
  .transform(({ apoLossType, variant, ...rest }) => ({ apoLossType: apoLossType ?? variant ?? 'ranking', ...rest }));
export type ApoRewardLossOptions = z.output<typeof apoRewardLossOptionsSchema>;
/** The `apo-reward-loss` plugin's options, registered under their own token (NestJS `forRoot` style). */
export const APO_REWARD_LOSS_OPTIONS = token<ApoRewardLossOptions>('@apogee/losses', 'ApoRewardLossOptions');

/**
 * The APO reward-model loss (Cheng et al. 2024, §4; `docs/concepts/apo.md` §3):
 *
 * ```
 * L_RM = rm_kl_coeff · L_ranking(human items) + (apo_loss_coeff / apo_sample_num) · L_apoLossType(APO items) [+ η · mean z²]
 * ```
 *
 * The human term, KL[P_human‖Q_r], is always the Bradley–Terry ranking loss; `apoLossType` (`ranking`
 * or `diff`, the reference's `apo_loss_type`) chooses the APO term's form only, as the reference's
 * `compute_loss` does.
 *
 * computed as one Bradley–Terry ranking loss with per-item coefficients, so both terms share one
 * denominator (the batch's valid ordered pairs) when a batch mixes kinds, as the reference does.
 * Metrics: `accuracy`, `rewardMean`, `pairs`, and `loss/human`, `loss/apo`, `accuracy/human`,
 * `accuracy/apo` for the kinds present.
 */
@injectable()
export class ApoRewardLoss implements RewardLoss {
  readonly name = 'apo-reward-loss';
  readonly options: ApoRewardLossOptions;
  /** Options as the plugin takes them (checked here too, so a direct `new` is validated alike). */
  constructor(@inject(APO_REWARD_LOSS_OPTIONS) options: z.input<typeof apoRewardLossOptionsSchema>) {
    this.options = lossOptions(apoRewardLossOptionsSchema, options, this.name);
  }

  compute(input: RewardLossInput): LossOutput {
    const { rmKlCoeff, apoLossCoeff, apoSampleNum } = this.options;
    const coefficients = input.kinds.map((kind, i) => {
      if (kind === 'human') return rmKlCoeff;
      if (kind === 'apo') return apoLossCoeff / apoSampleNum;
      throw invalidLossInput(this.name, `kinds[${i}]`, `is "${String(kind)}"; allowed: "human", "apo".`);
    });
    return bradleyTerryLoss(input.rewards, input.scores, {
      itemLossTypes: input.kinds.map((kind) => (kind === 'apo' ? this.options.apoLossType : 'ranking')),
      coefficients,
      kinds: input.kinds,
      centeringCoeff: this.options.centeringCoeff,
      lossName: this.name,
    });
  }
}

/**
 * `apoRewardLoss({ rmKlCoeff, apoLossCoeff, apoSampleNum, apoLossType, centeringCoeff })` →
 * `TOKENS.RewardLoss`. Defaults: the reference 1.0 / 0.1 / 4, `ranking`, no centring.
 */
export const apoRewardLoss = definePlugin('apo-reward-loss', {
  provides: [TOKENS.RewardLoss],
  schema: apoRewardLossOptionsSchema,
  register(container, options) {
    container.register(APO_REWARD_LOSS_OPTIONS, { useValue: options });
    container.register(TOKENS.RewardLoss, { useClass: ApoRewardLoss });
  },
});
