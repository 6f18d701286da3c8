/**
 * Paired, per-seed scientific claims: the `claims` block of summary.json (issue #13's output
 * contract). A claim is a per-seed paired difference, oriented so that a positive value supports
 * it; its estimate is the mean over seeds, with a seeded percentile-bootstrap 95% CI and an exact
 * sign test across seeds (docs/decisions/0065-claims-statistics.md).
 */

import { z } from 'zod';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { mean } from './metrics';
import { bootstrapMeanCi, signTest } from './paired-stats';

/**
 * The claims the quickstart reports, by id, with what a positive per-seed value means. The ids are
 * fixed by issue #13; tools read summary.json by them.
 */
export const CLAIMS = {
  'world.oracleBeatsPi0': {
    description: 'Oracle RJS (the gold reward as its RM) raises held-out gold over π₀: the world has headroom that alignment can reach.',
  },
  'world.rmBaseOverOptimises': {
    description: 'RJS driven by RM_Base ends below the oracle in held-out gold while raising its own RM score: the proxy is over-optimised.',
  },
  'rjs.apoBeatsBaseline': {
    description: 'RJS with APO beats RJS with RM_Base in held-out gold of the policy’s own samples.',
  },
  'dpo.apoBeatsBaseline': {
    description: 'DPO with APO beats DPO with RM_Base in held-out gold of the policy’s own samples.',
  },
  'rrhf.apoBeatsBaseline': {
    description: 'RRHF with APO beats RRHF with RM_Base in held-out gold of the policy’s own samples.',
  },
  'rm.apoMoreAccurateOnPolicy': {
    description: 'The APO reward model is more accurate than RM_Base on the same pooled policy-sample pairs (gold labels).',
  },
  'rm.apoMoreAccurateOnHeldOutRaters': {
    description: 'The APO reward model is more accurate than RM_Base on held-out rater pairs.',
  },
  'rm.apoBeatsNoGoldenControl': {
    description: 'The APO reward model beats the same training with the golden items weighted 0, on the same policy-sample pairs.',
  },
} as const satisfies Record<string, { description: string }>;

/** One of the claim ids issue #13 fixes. */
export type ClaimId = keyof typeof CLAIMS;

/** Every claim id, in the order the report lists them. */
export const CLAIM_IDS = Object.keys(CLAIMS) as ClaimId[];

/** How the data bear on a claim (rule in {@link claimStatus}). */
export type ClaimStatus = 'supported' | 'not supported' | 'inconclusive';

/** One seed's paired difference. */
export interface SeedValue {
  seed: number;
  value: number;
}

const seedValueSchema = z.object({ seed: z.number().int(), value: z.number() });

/** One entry of summary.json's `claims` block. */
export const claimSchema = z.object({
  id: z.string().min(1),
  description: z.string(),
  /** Mean of the per-seed paired differences. */
  estimate: z.number(),
  /** Percentile-bootstrap 95% CI of the mean. */
  ci95: z.tuple([z.number(), z.number()]),
  /** Seeds whose difference is > 0. */
  seedsPositive: z.number().int().nonnegative(),
  /** Number of seeds (independent runs) behind the claim. */
  seeds: z.number().int().nonnegative(),
  /** Exact two-sided sign-test p-value (ties dropped). */
  pValue: z.number().min(0).max(1),
  seedsNegative: z.number().int().nonnegative().optional(),
  seedsTied: z.number().int().nonnegative().optional(),
  status: z.enum(['supported', 'not supported', 'inconclusive']).optional(),
  perSeed: z.array(seedValueSchema).optional(),
});

/** summary.json's `claims` block. */
export const claimsBlockSchema = z.array(claimSchema);

export type Claim = z.infer<typeof claimSchema>;

/** Input of {@link pairedClaim}. */
export interface PairedClaimInput {
  /** Claim id; a {@link ClaimId} takes its description from {@link CLAIMS} unless one is given. */
  id: string;
  /** Required when `id` is not one of {@link CLAIMS}. */
  description?: string;
  /** One paired difference per seed, oriented so that a positive value supports the claim. */
  perSeed: readonly SeedValue[];
  /** Seed of the bootstrap stream. Default 0 (the stream is also keyed by the claim id). */
  bootstrapSeed?: number;
  /** Bootstrap resamples. Default 10000. */
  resamples?: number;
  /** Significance level of the sign test for `status`. Default 0.05. */
  alpha?: number;
}

/**
 * The status rule, declared before running:
 * - `supported` when the 95% CI lies above 0 **and** the sign test gives p < alpha;
 * - `not supported` when the CI's upper end is ≤ 0 (the data exclude every positive effect);
 * - `inconclusive` otherwise: the CI straddles 0, or it lies above 0 but the sign test is not
 *   significant (e.g. 5 of 5 seeds positive gives p = 0.0625).
 */
export function claimStatus(ci95: readonly [number, number], pValue: number, alpha = 0.05): ClaimStatus {
  if (ci95[0] > 0 && pValue < alpha) return 'supported';
  if (ci95[1] <= 0) return 'not supported';
  return 'inconclusive';
}

/**
 * Build one claim from per-seed paired differences. Seeds are sorted before resampling, so the
 * input order does not matter; a seed given twice is an error (a seed is counted once).
 */
export function pairedClaim(input: PairedClaimInput): Claim {
  const { id, perSeed, bootstrapSeed = 0, resamples = 10000, alpha = 0.05 } = input;
  const description = input.description ?? (CLAIMS as Record<string, { description: string }>)[id]?.description;
  if (description === undefined) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `pairedClaim: claim '${id}' is not one of ${CLAIM_IDS.join(', ')}, so it needs a description.`);
  }
  if (perSeed.length === 0) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `pairedClaim: claim '${id}' has no seeds; give one { seed, value } per seed.`);
  }
  const sorted = [...perSeed].sort((a, b) => a.seed - b.seed);
  for (let i = 0; i < sorted.length; i++) {
    const { seed, value } = sorted[i];
    if (!Number.isInteger(seed)) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `pairedClaim: claim '${id}' has a non-integer seed (${seed}).`);
    if (!Number.isFinite(value)) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `pairedClaim: claim '${id}' seed ${seed} has a non-finite value (${value}).`);
    if (i > 0 && sorted[i - 1].seed === seed) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `pairedClaim: claim '${id}' lists seed ${seed} twice; each seed is one independent run and counts once.`);
    }
  }
  const values = sorted.map((s) => s.value);
  const sign = signTest(values);
  const ci95 = bootstrapMeanCi(values, { seed: bootstrapSeed, stream: `claims/${id}`, resamples, level: 0.95 });
  return {
    id,
    description,
    estimate: mean(values),
    ci95,
    seedsPositive: sign.positive,
    seeds: values.length,
    pValue: sign.pValue,
    seedsNegative: sign.negative,
    seedsTied: sign.ties,
    status: claimStatus(ci95, sign.pValue, alpha),
    perSeed: sorted.map(({ seed, value }) => ({ seed, value })),
  };
}

/**
 * Per-seed differences a − b of two per-seed measurements, matched by seed. Every seed must be in
 * both (a paired design); a missing or duplicated seed is an error naming it.
 */
export function pairedDifferences(a: readonly SeedValue[], b: readonly SeedValue[]): SeedValue[] {
  const index = (xs: readonly SeedValue[], side: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const { seed, value } of xs) {
      if (m.has(seed)) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `pairedDifferences: seed ${seed} appears twice in ${side}.`);
      m.set(seed, value);
    }
    return m;
  };
  const ma = index(a, 'the first series');
  const mb = index(b, 'the second series');
  for (const seed of mb.keys()) {
    if (!ma.has(seed)) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `pairedDifferences: seed ${seed} is in the second series only; a paired claim needs both measurements of every seed.`);
  }
  return [...ma.entries()]
    .map(([seed, va]) => {
      const vb = mb.get(seed);
      if (vb === undefined) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `pairedDifferences: seed ${seed} is in the first series only; a paired claim needs both measurements of every seed.`);
      return { seed, value: va - vb };
    })
    .sort((x, y) => x.seed - y.seed);
}
