import type { LossOutput, RewardLoss, RewardLossInput } from '@apogee/core';
import { definePlugin, token, TOKENS } from '@apogee/core';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { aliasAgrees, lossOptions } from './loss-options';
import { bradleyTerryLoss } from './ranking';

/** The Bradley–Terry pair term's form (the APO reference's `loss_type`). */
export const rankingLossTypeSchema = z.enum(['ranking', 'diff']);

/**
 * Reward centring weight η: adds `η · mean(z²)` over valid responses, keeping rewards near 0 (in
 * the spirit of Eisenstein et al. 2023, "Helping or Herding?", which penalises `(z_a + z_b)²` per
 * pair). 0 (default) disables.
 */
export const centeringCoeffSchema = z.number().finite().min(0).default(0);

export const rankingLossOptionsSchema = z
  .object({
    /**
     * `ranking` (default): `−log σ((z_j − z_i)·sign(s_j − s_i))`, the Bradley–Terry negative
     * log-likelihood (Bradley & Terry 1952; APO paper eq. for KL[P_human‖Q_r]). `diff`: the raw
     * difference `−(z_j − z_i)·sign(s_j − s_i)` (APO reference `loss_type=diff`, WGAN-like).
     */
    lossType: rankingLossTypeSchema.optional(),
    /** @deprecated The old name of `lossType` ("variant" names the presets); still accepted. */
    variant: rankingLossTypeSchema.optional(),
    centeringCoeff: centeringCoeffSchema,
  })
  .strict()
  .superRefine(aliasAgrees('lossType', 'variant'))
  .transform(({ lossType, variant, ...rest }) => ({ lossType: lossType ?? variant ?? 'ranking', ...rest }));
export type RankingLossOptions = z.output<typeof rankingLossOptionsSchema>;
/** The `ranking-loss` plugin's options, registered under their own token (NestJS `forRoot` style). */
export const RANKING_LOSS_OPTIONS = token<RankingLossOptions>('@apogee/losses', 'RankingLossOptions');

/**
 * Bradley–Terry ranking loss over multi-response items, exactly as the APO reference computes it
 * (`docs/concepts/apo.md` §3): every item weighs 1; see {@link bradleyTerryLoss}.
 */
@injectable()
export class BradleyTerryLoss implements RewardLoss {
  readonly name = 'ranking-loss';
  readonly options: RankingLossOptions;
  /** Options as the plugin takes them (checked here too, so a direct `new` is validated alike). */
  constructor(@inject(RANKING_LOSS_OPTIONS) options: z.input<typeof rankingLossOptionsSchema>) {
    this.options = lossOptions(rankingLossOptionsSchema, options, this.name);
  }

  compute(input: RewardLossInput): LossOutput {
    return bradleyTerryLoss(input.rewards, input.scores, {
      lossType: this.options.lossType,
      centeringCoeff: this.options.centeringCoeff,
      kinds: input.kinds,
      lossName: this.name,
    });
  }
}

/** `rankingLoss({ lossType, centeringCoeff })` → `TOKENS.RewardLoss` (human and APO items weigh alike). */
export const rankingLoss = definePlugin('ranking-loss', {
  provides: [TOKENS.RewardLoss],
  schema: rankingLossOptionsSchema,
  register(container, options) {
    container.register(RANKING_LOSS_OPTIONS, { useValue: options });
    container.register(TOKENS.RewardLoss, { useClass: BradleyTerryLoss });
  },
});
