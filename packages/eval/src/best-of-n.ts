/**
 * Best-of-n selection (Gao, Schulman & Hilton 2022, "Scaling laws for reward model
 * over-optimization", §2): draw n samples, keep the one the reward model scores highest, and
 * measure its gold reward. Computed exactly from N ≥ n samples per prompt, without re-sampling:
 * the expected gold when n of the N are drawn uniformly without replacement.
 */

import { z } from 'zod';
import { ApogeeError, ERROR_CODES, isApogeeError } from '@apogee/core';

/** KL of the best-of-n distribution to the base policy (Gao et al. 2022, §2; Stiennon et al. 2020): log n − (n − 1)/n. */
export function bestOfNKl(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `bestOfNKl needs a positive integer n, got ${n}.`);
  return Math.log(n) - (n - 1) / n;
}

/** C(k, n) / C(N, n) = Π_{i<n} (k − i)/(N − i): the chance that n draws from N all fall in a set of k. */
function allDrawsWithin(k: number, N: number, n: number): number {
  if (k < n) return 0;
  let p = 1;
  for (let i = 0; i < n; i++) p *= (k - i) / (N - i);
  return p;
}

/**
 * Exact expected gold of the RM-selected sample when n of the N samples are drawn uniformly
 * without replacement and the one with the highest RM score is kept (a tie is broken uniformly
 * among the tied, so a tied level contributes its mean gold).
 *
 * Order statistics: group the samples by distinct score v, with m_v samples scoring below v and
 * t_v at v. The largest drawn score is v with probability [C(m_v + t_v, n) − C(m_v, n)] / C(N, n);
 * given that, by symmetry the kept sample is uniform over the t_v tied ones. So
 * E = Σ_v [C(m_v + t_v, n) − C(m_v, n)] / C(N, n) · mean(gold at v).
 * n = 1 gives the mean gold; n = N gives the gold of the top-scored sample(s).
 */
export function bestOfNExpectedGold(gold: ArrayLike<number>, scores: ArrayLike<number>, n: number): number {
  const N = gold.length;
  if (scores.length !== N) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `bestOfNExpectedGold needs one RM score per gold value; got ${N} gold values and ${scores.length} scores.`);
  }
  if (!Number.isInteger(n) || n < 1 || n > N) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `bestOfNExpectedGold: n must be an integer in [1, ${N}] (the samples per prompt), got ${n}.`);
  }
  const order = Array.from({ length: N }, (_, i) => i);
  for (const i of order) {
    if (!Number.isFinite(gold[i]) || !Number.isFinite(scores[i])) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `bestOfNExpectedGold: sample ${i} has a non-finite gold (${gold[i]}) or score (${scores[i]}).`);
    }
  }
  order.sort((a, b) => scores[a] - scores[b]);
  let expected = 0;
  let below = 0;
  for (let start = 0; start < N; ) {
    let end = start;
    let goldSum = 0;
    while (end < N && scores[order[end]] === scores[order[start]]) goldSum += gold[order[end++]];
    const tied = end - start;
    const pTop = allDrawsWithin(below + tied, N, n) - allDrawsWithin(below, N, n);
    expected += pTop * (goldSum / tied);
    below += tied;
    start = end;
  }
  return expected;
}

/** One point of a best-of-n curve. */
export interface BestOfNPoint {
  n: number;
  /** log n − (n − 1)/n. */
  kl: number;
  /** Expected gold of the selected sample, averaged over prompts. */
  gold: number;
}

/**
 * Best-of-n curve of one selector: for each n (default 1 … the smallest N over prompts), the
 * exact expected selected gold averaged over prompts, against the closed-form KL.
 */
export function bestOfNCurve(
  prompts: ReadonlyArray<{ gold: ArrayLike<number>; scores: ArrayLike<number> }>,
  options: { ns?: readonly number[] } = {},
): BestOfNPoint[] {
  if (prompts.length === 0) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'bestOfNCurve needs at least one prompt.');
  const minN = Math.min(...prompts.map((p) => p.gold.length));
  const ns = options.ns ?? Array.from({ length: minN }, (_, i) => i + 1);
  return ns.map((n) => {
    if (n > minN) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `bestOfNCurve: n = ${n} exceeds the ${minN} samples of the smallest prompt.`);
    let s = 0;
    prompts.forEach((p, k) => {
      try {
        s += bestOfNExpectedGold(p.gold, p.scores, n);
      } catch (e) {
        if (isApogeeError(e)) throw new ApogeeError(e.code, `prompt ${k}: ${e.message}`);
        throw e;
      }
    });
    return { n, kl: bestOfNKl(n), gold: s / prompts.length };
  });
}

/** One row of summary.json's `bestOfN` block: a selector (an RM, or `gold` for the oracle) at one n. */
export const bestOfNRowSchema = z.object({
  /** The selector: `RM_Base`, an APO round's RM, `gold` (the oracle), …. */
  rm: z.string().min(1),
  n: z.number().int().positive(),
  kl: z.number().nonnegative(),
  /** Mean over seeds (or the one seed's value). */
  gold: z.number(),
  goldStd: z.number().nonnegative().optional(),
  seeds: z.number().int().positive().optional(),
});

export const bestOfNBlockSchema = z.array(bestOfNRowSchema);

export type BestOfNRow = z.infer<typeof bestOfNRowSchema>;
