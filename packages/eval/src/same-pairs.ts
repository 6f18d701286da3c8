/**
 * Same-pair reward-model evaluation (issue #13): pool the samples of π₀ and of every arm's policy
 * per held-out prompt, pair samples of the same prompt whose gold differs, and score every RM on
 * these same pairs, so accuracy differences between RMs are not differences between pair sets.
 * Inputs are plain arrays (one entry per pooled sample), so this is model-agnostic; see
 * {@link scoreSamples} for scoring with a core `RewardModel` or `Judge`.
 */

import { ApogeeError, ERROR_CODES, Rng, type PromptResponse } from '@apogee/core';
import { binomialTwoSidedP } from './paired-stats';

/** One pooled sample: its prompt, its gold reward and (informational) who generated it. */
export interface PooledSample {
  promptId: string;
  gold: number;
  /** `pi0` or an arm's name; not used for pairing. */
  source?: string;
}

/** A pair of samples of one prompt; indices into the pooled samples, gold[better] > gold[worse]. */
export interface SamePair {
  promptId: string;
  better: number;
  worse: number;
}

/** Options of {@link buildSamePairs}. */
export interface SamePairOptions {
  /**
   * At most this many pairs per prompt, chosen uniformly without replacement by
   * `Rng.fromSeed(seed, 'same-pairs/<promptId>')`; the kept pairs stay in canonical order.
   * Default: no cap.
   */
  maxPairsPerPrompt?: number;
  /** Seed of the cap's choice. Default 0. */
  seed?: number;
  /**
   * Gold differences of at most this much count as ties (for a gold computed in float32, or a
   * noisy gold). Default 0: only exactly equal gold is a tie.
   */
  goldTieTolerance?: number;
}

export interface SamePairSet {
  pairs: SamePair[];
  /** Pairs dropped because both samples have the same gold. */
  goldTies: number;
  /** Pairs with different gold before the cap. */
  candidatePairs: number;
  /** Pairs with different gold dropped by `maxPairsPerPrompt`. */
  cappedOut: number;
}

/**
 * Every unordered pair (i, j), i < j, of samples of the same prompt, keeping those with different
 * gold (gold ties are dropped and counted). Order is canonical: prompts by first appearance in
 * `samples`, then i, then j; so two calls on the same pool give the same pairs whatever scorer is
 * evaluated later.
 */
export function buildSamePairs(samples: readonly PooledSample[], options: SamePairOptions = {}): SamePairSet {
  const { maxPairsPerPrompt, seed = 0, goldTieTolerance = 0 } = options;
  if (!(goldTieTolerance >= 0)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `buildSamePairs: goldTieTolerance must be ≥ 0, got ${goldTieTolerance}.`);
  }
  if (maxPairsPerPrompt !== undefined && (!Number.isInteger(maxPairsPerPrompt) || maxPairsPerPrompt < 1)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `buildSamePairs: maxPairsPerPrompt must be a positive integer, got ${maxPairsPerPrompt}.`);
  }
  const byPrompt = new Map<string, number[]>();
  samples.forEach((s, i) => {
    if (typeof s.promptId !== 'string') throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `buildSamePairs: sample ${i} has no string promptId.`);
    if (!Number.isFinite(s.gold)) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `buildSamePairs: sample ${i} (prompt ${s.promptId}) has a non-finite gold (${s.gold}).`);
    const list = byPrompt.get(s.promptId);
    if (list) list.push(i);
    else byPrompt.set(s.promptId, [i]);
  });
  const pairs: SamePair[] = [];
  let goldTies = 0;
  let candidatePairs = 0;
  let cappedOut = 0;
  for (const [promptId, idx] of byPrompt) {
    let local: SamePair[] = [];
    for (let a = 0; a < idx.length; a++) {
      for (let b = a + 1; b < idx.length; b++) {
        const i = idx[a];
        const j = idx[b];
        const gi = samples[i].gold;
        const gj = samples[j].gold;
        if (Math.abs(gi - gj) <= goldTieTolerance) {
          goldTies++;
          continue;
        }
        local.push(gi > gj ? { promptId, better: i, worse: j } : { promptId, better: j, worse: i });
      }
    }
    candidatePairs += local.length;
    if (maxPairsPerPrompt !== undefined && local.length > maxPairsPerPrompt) {
      const order = local.map((_, k) => k);
      Rng.fromSeed(seed, `same-pairs/${promptId}`).shuffle(order);
      const keep = order.slice(0, maxPairsPerPrompt).sort((x, y) => x - y);
      cappedOut += local.length - keep.length;
      local = keep.map((k) => local[k]);
    }
    pairs.push(...local);
  }
  return { pairs, goldTies, candidatePairs, cappedOut };
}

function checkScores(pairs: readonly SamePair[], scores: ArrayLike<number>, what: string): void {
  for (const p of pairs) {
    if (p.better >= scores.length || p.worse >= scores.length) {
      throw new ApogeeError(
        ERROR_CODES.INVALID_ARGUMENT,
        `${what}: a pair refers to sample ${Math.max(p.better, p.worse)} but only ${scores.length} scores were given; pass one score per pooled sample, in pool order.`,
      );
    }
  }
}

/** Per pair: 1 when the scorer ranks the better-gold sample higher, ½ on a score tie, 0 otherwise. */
export function pairCorrectness(pairs: readonly SamePair[], scores: ArrayLike<number>): Float64Array {
  checkScores(pairs, scores, 'pairCorrectness');
  const out = new Float64Array(pairs.length);
  pairs.forEach((p, k) => {
    const d = scores[p.better] - scores[p.worse];
    out[k] = d > 0 ? 1 : d === 0 ? 0.5 : 0;
  });
  return out;
}

/** Accuracy on the pairs (a score tie counts ½); NaN when there are no pairs. */
export function pairAccuracy(pairs: readonly SamePair[], scores: ArrayLike<number>): number {
  if (pairs.length === 0) return NaN;
  const c = pairCorrectness(pairs, scores);
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i];
  return s / c.length;
}

/** Accuracy of each named scorer on the same pairs. */
export function accuracyTable(pairs: readonly SamePair[], scorers: Readonly<Record<string, ArrayLike<number>>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, scores] of Object.entries(scorers)) out[name] = pairAccuracy(pairs, scores);
  return out;
}

export interface McNemarResult {
  /** Pairs A orders right and B wrong. */
  aOnly: number;
  /** Pairs B orders right and A wrong. */
  bOnly: number;
  accuracyA: number;
  accuracyB: number;
  /** accuracyA − accuracyB. */
  difference: number;
  /** Exact two-sided McNemar p-value: binomial(aOnly of aOnly + bOnly, ½). */
  pValue: number;
}

/**
 * Exact McNemar test between two scorers on the same pairs (McNemar 1947; exact binomial form):
 * only discordant pairs count. A pair that either scorer ties is not discordant (accuracy still
 * counts the tie ½).
 */
export function mcnemarExact(pairs: readonly SamePair[], scoresA: ArrayLike<number>, scoresB: ArrayLike<number>): McNemarResult {
  const a = pairCorrectness(pairs, scoresA);
  const b = pairCorrectness(pairs, scoresB);
  let aOnly = 0;
  let bOnly = 0;
  for (let k = 0; k < a.length; k++) {
    if (a[k] === 1 && b[k] === 0) aOnly++;
    else if (a[k] === 0 && b[k] === 1) bOnly++;
  }
  const accuracyA = pairAccuracy(pairs, scoresA);
  const accuracyB = pairAccuracy(pairs, scoresB);
  return { aOnly, bOnly, accuracyA, accuracyB, difference: accuracyA - accuracyB, pValue: binomialTwoSidedP(aOnly, aOnly + bOnly) };
}

/**
 * Fraction of the RM_Base → RM_fresh accuracy gap a candidate closes: (candidate − base) /
 * (fresh − base). 1 = as good as an RM retrained on fresh labels of the current policy, 0 = no
 * better than RM_Base, negative = worse. NaN when fresh ≤ base (no gap to close).
 */
export function gapClosed(accuracies: { base: number; candidate: number; fresh: number }): number {
  const { base, candidate, fresh } = accuracies;
  const gap = fresh - base;
  return gap > 0 ? (candidate - base) / gap : NaN;
}

/** Anything that scores prompt/response pairs: a core `RewardModel`, a `Judge`, a world's gold. */
export interface BatchScorer {
  score(batch: readonly PromptResponse[], options?: { batchSize?: number }): Promise<Float32Array>;
}

/**
 * Score the pooled samples with each scorer, `batchSize` rows at a time; scores come back in pool
 * order, one array per scorer name, ready for {@link accuracyTable} and {@link mcnemarExact}.
 */
export async function scoreSamples(
  samples: readonly PromptResponse[],
  scorers: Readonly<Record<string, BatchScorer>>,
  batchSize = 64,
): Promise<Record<string, Float32Array>> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `scoreSamples: batchSize must be a positive integer, got ${batchSize}.`);
  }
  const out: Record<string, Float32Array> = {};
  for (const [name, scorer] of Object.entries(scorers)) {
    const scores = new Float32Array(samples.length);
    for (let start = 0; start < samples.length; start += batchSize) {
      const batch = samples.slice(start, start + batchSize);
      const s = await scorer.score(batch, { batchSize });
      if (s.length !== batch.length) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `scoreSamples: scorer '${name}' returned ${s.length} scores for ${batch.length} samples.`);
      }
      scores.set(s, start);
    }
    out[name] = scores;
  }
  return out;
}

/** Result of {@link compareOnSamePairs}. */
export interface SamePairComparison {
  pairs: number;
  /** Accuracy of every scorer on the same pairs. */
  accuracy: Record<string, number>;
  /** Every other scorer against the base: exact McNemar. */
  vsBase: Record<string, McNemarResult>;
  /** Every other scorer's fraction of the base → fresh gap closed (only when `fresh` is given). */
  gapClosed: Record<string, number>;
}

/**
 * One seed's same-pair RM comparison in one call: accuracy of every scorer, McNemar of each against
 * `base`, and, when `fresh` names the RM retrained on fresh labels, the fraction of the base → fresh
 * gap each other scorer closes.
 */
export function compareOnSamePairs(
  pairs: readonly SamePair[],
  scores: Readonly<Record<string, ArrayLike<number>>>,
  roles: { base: string; fresh?: string },
): SamePairComparison {
  for (const name of [roles.base, roles.fresh].filter((n): n is string => n !== undefined)) {
    if (!(name in scores)) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `compareOnSamePairs: no scores for '${name}'; scorers given: ${Object.keys(scores).join(', ') || 'none'}.`);
    }
  }
  const accuracy = accuracyTable(pairs, scores);
  const vsBase: Record<string, McNemarResult> = {};
  const closed: Record<string, number> = {};
  for (const name of Object.keys(scores)) {
    if (name === roles.base) continue;
    vsBase[name] = mcnemarExact(pairs, scores[name], scores[roles.base]);
    if (roles.fresh !== undefined && name !== roles.fresh) {
      closed[name] = gapClosed({ base: accuracy[roles.base], candidate: accuracy[name], fresh: accuracy[roles.fresh] });
    }
  }
  return { pairs: pairs.length, accuracy, vsBase, gapClosed: closed };
}
