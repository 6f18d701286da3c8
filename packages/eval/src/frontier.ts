/**
 * Gold reward against KL to the reference, per arm and round (Gao et al. 2022 compare optimisers
 * on this frontier, not at one final point). Rows go to summary.json's `frontier` block; the
 * helpers compare arms at matched KL by linear interpolation.
 */

import { z } from 'zod';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { mean, std } from './metrics';

/** One (KL, gold) point of an arm after a round (round 0 = π₀, KL 0). */
export const frontierRowSchema = z.object({
  arm: z.string().min(1),
  round: z.number().int().nonnegative(),
  /** KL(π ‖ π_ref) in nats (sampled estimate); mean over seeds in an aggregated row. */
  kl: z.number(),
  /** Held-out gold reward of the policy's own samples; mean over seeds in an aggregated row. */
  gold: z.number(),
  /** Present in per-seed rows. */
  seed: z.number().int().optional(),
  klStd: z.number().nonnegative().optional(),
  goldStd: z.number().nonnegative().optional(),
  /** Seeds behind an aggregated row. */
  seeds: z.number().int().positive().optional(),
});

export const frontierBlockSchema = z.array(frontierRowSchema);

export type FrontierRow = z.infer<typeof frontierRowSchema>;

/** A point on the (KL, gold) plane. */
export interface KlGold {
  kl: number;
  gold: number;
}

/**
 * Mean and population std over seeds per (arm, round); arms in first-appearance order, rounds
 * ascending.
 */
export function meanFrontier(rows: readonly FrontierRow[]): FrontierRow[] {
  const groups = new Map<string, Map<number, FrontierRow[]>>();
  for (const r of rows) {
    let byRound = groups.get(r.arm);
    if (!byRound) groups.set(r.arm, (byRound = new Map()));
    const list = byRound.get(r.round);
    if (list) list.push(r);
    else byRound.set(r.round, [r]);
  }
  const out: FrontierRow[] = [];
  for (const [arm, byRound] of groups) {
    for (const round of [...byRound.keys()].sort((a, b) => a - b)) {
      const list = byRound.get(round) ?? [];
      const kls = list.map((r) => r.kl);
      const golds = list.map((r) => r.gold);
      out.push({ arm, round, kl: mean(kls), gold: mean(golds), klStd: std(kls), goldStd: std(golds), seeds: list.length });
    }
  }
  return out;
}

function sortedByKl(points: readonly KlGold[]): KlGold[] {
  for (const [i, p] of points.entries()) {
    if (!Number.isFinite(p.kl) || !Number.isFinite(p.gold)) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `frontier point ${i} has a non-finite KL (${p.kl}) or gold (${p.gold}).`);
    }
  }
  // Points with the same KL are merged into their mean gold, so interpolation is well defined.
  const sorted = [...points].sort((a, b) => a.kl - b.kl);
  const out: KlGold[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let s = 0;
    while (j < sorted.length && sorted[j].kl === sorted[i].kl) s += sorted[j++].gold;
    out.push({ kl: sorted[i].kl, gold: s / (j - i) });
    i = j;
  }
  return out;
}

/**
 * The upper envelope (Pareto frontier) of the points: those no other point beats with KL ≤ and
 * gold ≥ (one strictly); sorted by KL, so gold rises along it. "The best gold reached at this KL
 * budget or less."
 */
export function upperEnvelope(points: readonly KlGold[]): KlGold[] {
  const out: KlGold[] = [];
  for (const p of sortedByKl(points)) if (out.length === 0 || p.gold > out[out.length - 1].gold) out.push(p);
  return out;
}

/**
 * Gold at a given KL by linear interpolation between the points sorted by KL (points at the same KL
 * are averaged). NaN outside [min KL, max KL]: no extrapolation.
 */
export function goldAtKl(points: readonly KlGold[], kl: number): number {
  const s = sortedByKl(points);
  if (s.length === 0 || kl < s[0].kl || kl > s[s.length - 1].kl) return NaN;
  for (let i = 0; i < s.length - 1; i++) {
    if (kl <= s[i + 1].kl) {
      const t = (kl - s[i].kl) / (s[i + 1].kl - s[i].kl);
      return s[i].gold + t * (s[i + 1].gold - s[i].gold);
    }
  }
  return s[s.length - 1].gold;
}

/** Result of {@link goldDifferenceAtMatchedKl}. */
export interface MatchedKlDifference {
  /** The KL range both arms cover. */
  klLow: number;
  klHigh: number;
  /** Mean over the grid of goldAtKl(a) − goldAtKl(b); NaN when the ranges do not overlap. */
  difference: number;
}

/**
 * Arm a minus arm b in gold at matched KL: the mean of goldAtKl(a, k) − goldAtKl(b, k) over
 * `gridPoints` evenly spaced k (ends included) across the KL range both arms cover: approximately
 * the area between the two curves divided by that range's width. When the range is one KL value
 * (e.g. both arms only at π₀), it compares there. Per seed, this is a paired difference for a claim.
 */
export function goldDifferenceAtMatchedKl(a: readonly KlGold[], b: readonly KlGold[], options: { gridPoints?: number } = {}): MatchedKlDifference {
  const { gridPoints = 21 } = options;
  if (!Number.isInteger(gridPoints) || gridPoints < 2) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `goldDifferenceAtMatchedKl: gridPoints must be an integer ≥ 2, got ${gridPoints}.`);
  }
  const sa = sortedByKl(a);
  const sb = sortedByKl(b);
  if (sa.length === 0 || sb.length === 0) return { klLow: NaN, klHigh: NaN, difference: NaN };
  const klLow = Math.max(sa[0].kl, sb[0].kl);
  const klHigh = Math.min(sa[sa.length - 1].kl, sb[sb.length - 1].kl);
  if (klLow > klHigh) return { klLow, klHigh, difference: NaN };
  let s = 0;
  for (let g = 0; g < gridPoints; g++) {
    const k = g === gridPoints - 1 ? klHigh : klLow + ((klHigh - klLow) * g) / (gridPoints - 1);
    s += goldAtKl(sa, k) - goldAtKl(sb, k);
  }
  return { klLow, klHigh, difference: s / gridPoints };
}
