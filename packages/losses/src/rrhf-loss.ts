import * as tf from '@tensorflow/tfjs-core';
import type { LossOutput, RankingPolicyLoss, RankingPolicyLossInput } from '@apogee/core';
import { definePlugin, token, TOKENS } from '@apogee/core';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { expectShape, invalidLossInput } from './numerics';

export const rrhfLossOptionsSchema = z
  .object({
    /**
     * w, the weight of the ranking term (`docs/concepts/apo.md` §5; RRHF code `rrhf_weight`). Default 100.
     */
    rankingWeight: z.number().finite().min(0).default(100),
    /**
     * α in `p_i = Σ_t log π(y_i,t | x, y_i,<t) / |y_i|^α` (Yuan et al. 2023, eq. 1; RRHF code
     * `length_penalty`). Default 1 (mean token log-prob).
     */
    lengthPenalty: z.number().finite().min(0).default(1),
    /** Weight of the SFT term on the best response (the paper's L_ft). Default 1. */
    sftWeight: z.number().finite().min(0).default(1),
    /**
     * How L_ft averages the best response's token NLL (decision 0034). `response` (default): over its
     * response tokens, `−Σ_t log π / |y_b|`, the paper's eq. 3, independent of batch padding.
     * `paddedRow`: over the whole padded label row, `−Σ_t log π / T` with T the batch's padded length,
     * what the RRHF code computes (`-logit_label[max_idx].mean()`); it shrinks as padding grows.
     */
    sftNormalization: z.enum(['response', 'paddedRow']).default('response'),
  })
  .strict();
/** The resolved options; `sftNormalization` may be left out by direct callers of {@link rrhf} (`response`). */
export type RrhfLossOptions = Omit<z.output<typeof rrhfLossOptionsSchema>, 'sftNormalization'> & Partial<Pick<z.output<typeof rrhfLossOptionsSchema>, 'sftNormalization'>>;
/** The `rrhf-loss` plugin's options, registered under their own token (NestJS `forRoot` style). */
export const RRHF_LOSS_OPTIONS = token<RrhfLossOptions>('@apogee/losses', 'RrhfLossOptions');

/**
 * RRHF (Yuan et al. 2023, "RRHF: Rank Responses to Align Language Models with Human Feedback"),
 * as `docs/concepts/apo.md` §5 writes it, per item (query) with k responses:
 *
 * ```
 * p_i   = Σ_t log π(y_i,t) / |y_i|^α                                    (eq. 1)
 * L_rank = Σ_{r_i < r_j} max(0, p_i − p_j)                               (eq. 2)
 * L_ft   = −(1/|y_b|) Σ_t log π(y_b,t),  b = argmax_i r_i (first on ties) (eq. 3; mean token NLL;
 *          `sftNormalization: 'paddedRow'` divides by the padded row length T instead, as the RRHF code)
 * L_item = w · L_rank + λ_ft · L_ft
 * ```
 *
 * The loss is the mean of `L_item` over items. Pairs with equal scores are skipped. A response
 * with no tokens (`count = 0`) is padding: it is in no pair and never the best. Scores are labels
 * (no gradient). Metrics: `ranking` (mean L_rank, unweighted), `sft` (mean L_ft).
 */
export function rrhf(input: RankingPolicyLossInput, options: RrhfLossOptions, lossName = 'rrhf-loss'): LossOutput {
  const { logProbs, scores, k } = input;
  if (!Number.isInteger(k) || k < 1) throw invalidLossInput(lossName, 'k', `is ${k}; it must be a positive integer.`);
  expectShape(lossName, 'scores', scores, [null, k]);
  const items = scores.shape[0];
  expectShape(lossName, 'logProbs.sum', logProbs.sum, [items * k]);
  expectShape(lossName, 'logProbs.count', logProbs.count, [items * k]);
  const r = scores.dataSync();
  const count = logProbs.count.dataSync();
  const pairMask = new Float32Array(items * k * k);
  const best = new Float32Array(items * k);
  let liveItems = 0;
  for (let n = 0; n < items; n++) {
    let b = -1;
    for (let i = 0; i < k; i++) {
      const a = n * k + i;
      if (!Number.isFinite(r[a])) throw invalidLossInput(lossName, `scores[${n}][${i}]`, `is ${r[a]}; scores must be finite.`);
      if (!(count[a] > 0)) continue;
      if (b < 0 || r[a] > r[n * k + b]) b = i;
      for (let j = 0; j < k; j++) if (count[n * k + j] > 0 && r[a] < r[n * k + j]) pairMask[(n * k + i) * k + j] = 1;
    }
    if (b >= 0) {
      best[n * k + b] = 1;
      liveItems++;
    }
  }
  const { rankingWeight, lengthPenalty, sftWeight } = options;
  const sftNormalization = options.sftNormalization ?? 'response';
  const paddedRow = logProbs.tokenLogProbs.shape[1];
  return tf.tidy(() => {
    const safeCount = tf.maximum(logProbs.count, 1);
    const lengthNorm = lengthPenalty === 1 ? safeCount : tf.pow(safeCount, lengthPenalty);
    const p = tf.reshape(tf.div(logProbs.sum, lengthNorm), [items, k]);
    // d[n, i, j] = p_i − p_j, kept where r_i < r_j
    const d = tf.sub(tf.expandDims(p, 2), tf.expandDims(p, 1));
    const rank = tf.sum(tf.mul(tf.relu(d), tf.tensor3d(pairMask, [items, k, k])), [1, 2]);
    const sftDenominator = sftNormalization === 'paddedRow' ? Math.max(paddedRow, 1) : safeCount;
    const meanTokenLogProb = tf.reshape(tf.div(logProbs.sum, sftDenominator), [items, k]);
    const sft = tf.neg(tf.sum(tf.mul(meanTokenLogProb, tf.tensor2d(best, [items, k])), 1));
    const denom = Math.max(liveItems, 1);
    const rankMean = tf.div(tf.sum(rank), denom) as tf.Scalar;
    const sftMean = tf.div(tf.sum(sft), denom) as tf.Scalar;
    const loss = tf.add(tf.mul(rankMean, rankingWeight), tf.mul(sftMean, sftWeight)) as tf.Scalar;
    return { loss, metrics: { ranking: rankMean, sft: sftMean } };
  });
}

/** The `rrhf-loss` plugin's loss. */
@injectable()
export class RrhfLoss implements RankingPolicyLoss {
  readonly name = 'rrhf-loss';
  constructor(@inject(RRHF_LOSS_OPTIONS) readonly options: RrhfLossOptions) {}

  compute(input: RankingPolicyLossInput): LossOutput {
    return rrhf(input, this.options, this.name);
  }
}

/**
 * `rrhfLoss({ rankingWeight, lengthPenalty, sftWeight, sftNormalization })` → `TOKENS.RankingPolicyLoss`.
 * Defaults: the reference w = 100, α = 1, SFT weight 1, SFT over the response tokens.
 */
export const rrhfLoss = definePlugin('rrhf-loss', {
  provides: [TOKENS.RankingPolicyLoss],
  schema: rrhfLossOptionsSchema,
  register(container, options) {
    container.register(RRHF_LOSS_OPTIONS, { useValue: options });
    container.register(TOKENS.RankingPolicyLoss, { useClass: RrhfLoss });
  },
});
