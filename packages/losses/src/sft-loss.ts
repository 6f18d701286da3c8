import * as tf from '@tensorflow/tfjs-core';
import type { LossOutput, SequenceLogProbs, SftLoss, SftLossInput } from '@apogee/core';
import { definePlugin, token, TOKENS } from '@apogee/core';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { expectShape } from './numerics';

export const sftLossOptionsSchema = z
  .object({
    /**
     * How the negative log-likelihood of response tokens is averaged:
     * - `token` (default): `−Σ_b Σ_t log p / Σ_b n_b`, the mean over every response token of the
     *   batch (what Hugging Face's Trainer does with prompt labels set to −100, as the APO
     *   reference's RJS fine-tuning);
     * - `sequence`: `−(1/B') Σ_b (Σ_t log p / n_b)`, each sequence's mean NLL weighs the same
     *   (B' = sequences with at least one response token).
     */
    normalization: z.enum(['token', 'sequence']).default('token'),
  })
  .strict();
export type SftLossOptions = z.output<typeof sftLossOptionsSchema>;
/** The `sft-loss` plugin's options, registered under their own token (NestJS `forRoot` style). */
export const SFT_LOSS_OPTIONS = token<SftLossOptions>('@apogee/losses', 'SftLossOptions');

/**
 * Supervised fine-tuning loss: negative log-likelihood on response tokens only (prompt and padding
 * are masked by the policy's `SequenceLogProbs`). Used by RJS (the best-scored sample) and golden
 * SFT (`docs/concepts/apo.md` §5). A batch without response tokens gives 0.
 *
 * Metrics: `nll` (mean NLL per response token), `tokens` (response tokens in the batch).
 */
export function sftNll(logProbs: SequenceLogProbs, normalization: SftLossOptions['normalization'] = 'token', lossName = 'sft-loss'): LossOutput {
  expectShape(lossName, 'logProbs.sum', logProbs.sum, [null]);
  expectShape(lossName, 'logProbs.count', logProbs.count, [logProbs.sum.shape[0]]);
  return tf.tidy(() => {
    const tokens = tf.sum(logProbs.count);
    const safeTokens = tf.maximum(tokens, 1);
    const tokenNll = tf.div(tf.neg(tf.sum(logProbs.sum)), safeTokens) as tf.Scalar;
    let loss = tokenNll;
    if (normalization === 'sequence') {
      const has = tf.cast(tf.greater(logProbs.count, 0), 'float32');
      const perSeq = tf.div(tf.neg(logProbs.sum), tf.maximum(logProbs.count, 1));
      loss = tf.div(tf.sum(tf.mul(perSeq, has)), tf.maximum(tf.sum(has), 1)) as tf.Scalar;
    }
    return { loss, metrics: { nll: tokenNll, tokens: tokens as tf.Scalar } };
  });
}

/** The `sft-loss` plugin's loss: {@link sftNll} with the configured normalisation. */
@injectable()
export class SftNllLoss implements SftLoss {
  readonly name = 'sft-loss';
  constructor(@inject(SFT_LOSS_OPTIONS) readonly options: SftLossOptions) {}

  compute(input: SftLossInput): LossOutput {
    return sftNll(input.logProbs, this.options.normalization, this.name);
  }
}

/** `sftLoss({ normalization })` → `TOKENS.SftLoss`. Default normalisation: `token`. */
export const sftLoss = definePlugin('sft-loss', {
  provides: [TOKENS.SftLoss],
  schema: sftLossOptionsSchema,
  register(container, options) {
    container.register(SFT_LOSS_OPTIONS, { useValue: options });
    container.register(TOKENS.SftLoss, { useClass: SftNllLoss });
  },
});
