import * as tf from '@tensorflow/tfjs-core';
import type { LossOutput, PairwisePolicyLoss, PairwisePolicyLossInput } from '@apogee/core';
import { definePlugin, token, TOKENS } from '@apogee/core';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { aliasAgrees, lossOptions } from './loss-options';
import { expectShape, negLogSigmoid } from './numerics';

const dpoLossTypeSchema = z.enum(['sigmoid', 'ipo', 'hinge', 'robust']);

export const dpoLossOptionsSchema = z
  .object({
    /**
     * With `h = (log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))`:
     * - `sigmoid`: DPO (Rafailov et al. 2023, eq. 7) `−log σ(βh)`; with label smoothing ε it is
     *   conservative DPO (cDPO, Mitchell 2023): `(1−ε)·(−log σ(βh)) + ε·(−log σ(−βh))`;
     * - `ipo`: IPO (Azar et al. 2023, "A General Theoretical Paradigm…", empirical IPO loss) `(h − 1/(2β))²`;
     * - `hinge`: SLiC-HF (Zhao et al. 2023) `max(0, 1 − βh)`;
     * - `robust`: robust DPO (rDPO, Chowdhury et al. 2024, "Provably Robust DPO")
     *   `((1−ε)·(−log σ(βh)) − ε·(−log σ(−βh))) / (1 − 2ε)`, unbiased under label-flip rate ε.
     */
    lossType: dpoLossTypeSchema.optional(),
    /** @deprecated The old name of `lossType` ("variant" names the presets); still accepted. */
    variant: dpoLossTypeSchema.optional(),
    /**
     * β: for `sigmoid`/`robust` the inverse temperature of the implicit reward `β·log(π/π_ref)`
     * (deviation from π_ref; common 0.1); for `ipo` the regulariser τ (target margin 1/(2β));
     * for `hinge` the inverse margin (1/δ in SLiC). Default 0.1.
     */
    beta: z.number().finite().positive().default(0.1),
    /**
     * ε, the assumed probability that a preference label is flipped: cDPO smoothing for `sigmoid`,
     * the noise rate for `robust` (must be < 0.5). Must be 0 for `ipo` and `hinge`. Default 0.
     */
    labelSmoothing: z.number().min(0).lt(0.5).default(0),
  })
  .strict()
  .superRefine(aliasAgrees('lossType', 'variant'))
  .transform(({ lossType, variant, ...rest }) => ({ lossType: lossType ?? variant ?? 'sigmoid', ...rest }))
  .refine((o) => o.labelSmoothing === 0 || o.lossType === 'sigmoid' || o.lossType === 'robust', {
    message: 'labelSmoothing applies to the "sigmoid" (cDPO) and "robust" (rDPO) loss types only; set it to 0 for "ipo" and "hinge".',
    path: ['labelSmoothing'],
  });
export type DpoLossOptions = z.output<typeof dpoLossOptionsSchema>;
/** The `dpo-loss` plugin's options, registered under their own token (NestJS `forRoot` style). */
export const DPO_LOSS_OPTIONS = token<DpoLossOptions>('@apogee/losses', 'DpoLossOptions');

/**
 * The DPO family on sequence log-prob sums of the policy and the reference model. Mean over pairs.
 * Metrics (TRL names): `rewards/chosen` = mean β(log π − log π_ref)(y_w), `rewards/rejected`
 * likewise for y_l, `rewards/margins` = mean βh, `rewards/accuracies` = fraction with h > 0.
 */
export function dpoFamilyLoss(input: PairwisePolicyLossInput, options: DpoLossOptions, lossName = 'dpo-loss'): LossOutput {
  const n = input.policyChosen.shape[0];
  for (const field of ['policyChosen', 'policyRejected', 'referenceChosen', 'referenceRejected'] as const) {
    expectShape(lossName, field, input[field], [n]);
  }
  const { beta, labelSmoothing: eps, lossType } = options;
  return tf.tidy(() => {
    const chosen = tf.sub(input.policyChosen, input.referenceChosen);
    const rejected = tf.sub(input.policyRejected, input.referenceRejected);
    const h = tf.sub(chosen, rejected);
    const bh = tf.mul(h, beta);
    let losses: tf.Tensor;
    switch (lossType) {
      case 'sigmoid':
        losses = eps === 0 ? negLogSigmoid(bh) : tf.add(tf.mul(negLogSigmoid(bh), 1 - eps), tf.mul(negLogSigmoid(tf.neg(bh)), eps));
        break;
      case 'robust':
        losses = tf.div(tf.sub(tf.mul(negLogSigmoid(bh), 1 - eps), tf.mul(negLogSigmoid(tf.neg(bh)), eps)), 1 - 2 * eps);
        break;
      case 'ipo':
        losses = tf.square(tf.sub(h, 1 / (2 * beta)));
        break;
      case 'hinge':
        losses = tf.relu(tf.sub(1, bh));
        break;
    }
    const chosenReward = tf.mul(chosen, beta);
    const rejectedReward = tf.mul(rejected, beta);
    return {
      loss: tf.mean(losses) as tf.Scalar,
      metrics: {
        'rewards/chosen': tf.mean(chosenReward) as tf.Scalar,
        'rewards/rejected': tf.mean(rejectedReward) as tf.Scalar,
        'rewards/margins': tf.mean(bh) as tf.Scalar,
        'rewards/accuracies': tf.mean(tf.cast(tf.greater(chosenReward, rejectedReward), 'float32')) as tf.Scalar,
      },
    };
  });
}

/** The `dpo-loss` plugin's loss. */
@injectable()
export class DpoLoss implements PairwisePolicyLoss {
  readonly name: string;
  readonly options: DpoLossOptions;
  /** Options as the plugin takes them (checked here too, so a direct `new` is validated alike). */
  constructor(@inject(DPO_LOSS_OPTIONS) options: z.input<typeof dpoLossOptionsSchema>) {
    this.options = lossOptions(dpoLossOptionsSchema, options, 'dpo-loss');
    this.name = `dpo-loss(${this.options.lossType})`;
  }

  compute(input: PairwisePolicyLossInput): LossOutput {
    return dpoFamilyLoss(input, this.options, this.name);
  }
}

/**
 * `dpoLoss({ lossType, beta, labelSmoothing })` → `TOKENS.PairwisePolicyLoss`.
 * Defaults: `sigmoid`, β 0.1, ε 0 (plain DPO).
 */
export const dpoLoss = definePlugin('dpo-loss', {
  provides: [TOKENS.PairwisePolicyLoss],
  schema: dpoLossOptionsSchema,
  register(container, options) {
    container.register(DPO_LOSS_OPTIONS, { useValue: options });
    container.register(TOKENS.PairwisePolicyLoss, { useClass: DpoLoss });
  },
});
