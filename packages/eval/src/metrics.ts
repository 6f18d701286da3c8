/**
 * Pure metric functions: no tensors, no models. Everything the evaluator reports is computed here,
 * so each formula is unit-tested against hand-computed values.
 */

import { ApogeeError, ERROR_CODES, type ReliabilityRow } from '@apogee/core';
/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Population standard deviation (divide by n); NaN for an empty list, 0 for one value. */
export function std(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / xs.length);
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** One item as the RM sees it: RM outputs z and label scores s (higher = preferred; s < 0 = padding). */
export interface ScoredItem {
  rewards: ArrayLike<number>;
  scores: ArrayLike<number>;
}

/** One ordered pair's predicted probability and label (docs/concepts/apo.md §7). */
export interface PairPrediction {
  /** p = σ(z_j − z_i). */
  p: number;
  /** y = 1[s_j > s_i]. */
  y: number;
}

/**
 * Every ordered pair (i, j), i ≠ j, of every item with valid (≥ 0) and different label scores:
 * p = σ(z_j − z_i), y = 1[s_j > s_i] (the APO reference's calibration pairs, docs/concepts/apo.md §7).
 */
export function orderedPairs(items: readonly ScoredItem[]): PairPrediction[] {
  const out: PairPrediction[] = [];
  for (const { rewards: z, scores: s } of items) {
    for (let i = 0; i < s.length; i++) {
      for (let j = 0; j < s.length; j++) {
        if (i === j || s[i] < 0 || s[j] < 0 || s[i] === s[j]) continue;
        out.push({ p: sigmoid(z[j] - z[i]), y: s[j] > s[i] ? 1 : 0 });
      }
    }
  }
  return out;
}

/**
 * Preference accuracy: over unordered pairs with different label scores, the fraction the RM orders
 * like the labels; a tie in RM output counts one half. NaN when there are no such pairs.
 */
export function preferenceAccuracy(items: readonly ScoredItem[]): number {
  let right = 0;
  let n = 0;
  for (const { rewards: z, scores: s } of items) {
    for (let i = 0; i < s.length; i++) {
      for (let j = i + 1; j < s.length; j++) {
        if (s[i] < 0 || s[j] < 0 || s[i] === s[j]) continue;
        n++;
        const dz = z[j] - z[i];
        if (dz === 0) right += 0.5;
        else if (dz > 0 === s[j] > s[i]) right += 1;
      }
    }
  }
  return n === 0 ? NaN : right / n;
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability p in the bin (NaN when empty). */
  meanP: number;
  /** Mean label y in the bin: the observed frequency (NaN when empty). */
  meanY: number;
}

/** The bins as reports and `summary.json` show them (core's `ReliabilityRow`). */
export function reliabilityRows(bins: readonly ReliabilityBin[]): ReliabilityRow[] {
  return bins.map((b) => ({ lower: b.lower, upper: b.upper, count: b.count, confidence: b.meanP, accuracy: b.meanY }));
}

export interface Calibration {
  /** Σ_b |Σ_{k∈b} p_k − Σ_{k∈b} y_k| / N. */
  ece: number;
  /** Mean over non-empty bins of |mean p − mean y|. */
  ace: number;
  /** Max over non-empty bins of |mean p − mean y|. */
  mce: number;
  /** Number of ordered pairs N. */
  pairs: number;
  bins: ReliabilityBin[];
}

/**
 * Calibration of pair predictions over `binCount` uniform bins on [0, 1] (p = 1 falls in the last
 * bin), exactly as docs/concepts/apo.md §7: ECE = Σ_b |Σp − Σy| / N, ACE = mean over non-empty bins of
 * |mean p − mean y|, MCE = their max. NaN metrics when there are no pairs.
 */
export function calibration(pairs: readonly PairPrediction[], binCount = 10): Calibration {
  const sumP = new Float64Array(binCount);
  const sumY = new Float64Array(binCount);
  const count = new Int32Array(binCount);
  for (const { p, y } of pairs) {
    const b = Math.min(Math.max(Math.floor(p * binCount), 0), binCount - 1);
    sumP[b] += p;
    sumY[b] += y;
    count[b] += 1;
  }
  let gapSum = 0;
  const gaps: number[] = [];
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < binCount; b++) {
    gapSum += Math.abs(sumP[b] - sumY[b]);
    if (count[b] > 0) gaps.push(Math.abs(sumP[b] / count[b] - sumY[b] / count[b]));
    bins.push({
      lower: b / binCount,
      upper: (b + 1) / binCount,
      count: count[b],
      meanP: count[b] > 0 ? sumP[b] / count[b] : NaN,
      meanY: count[b] > 0 ? sumY[b] / count[b] : NaN,
    });
  }
  const n = pairs.length;
  return {
    ece: n === 0 ? NaN : gapSum / n,
    ace: gaps.length === 0 ? NaN : mean(gaps),
    mce: gaps.length === 0 ? NaN : Math.max(...gaps),
    pairs: n,
    bins,
  };
}

/** Win rate of `a` over `b`, index by index: a win counts 1, a tie ½. NaN for empty input. */
export function winRate(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `winRate needs one reference score per policy score; got ${a.length} policy scores and ${b.length} reference scores.`);
  }
  if (a.length === 0) return NaN;
  let w = 0;
  for (let i = 0; i < a.length; i++) w += a[i] > b[i] ? 1 : a[i] === b[i] ? 0.5 : 0;
  return w / a.length;
}

/**
 * Sampled KL estimate KL[π ‖ π_ref] ≈ mean over y ~ π of log π(y|x) − log π_ref(y|x) (sequence
 * log-probs). Unbiased only when the samples come from π itself (temperature 1, no truncation).
 */
export function sampledKl(policyLogProbs: ArrayLike<number>, referenceLogProbs: ArrayLike<number>): number {
  if (policyLogProbs.length !== referenceLogProbs.length) {
    throw new ApogeeError(
      ERROR_CODES.INVALID_ARGUMENT,
      `sampledKl needs one reference log-prob per policy log-prob; got ${policyLogProbs.length} and ${referenceLogProbs.length}.`,
    );
  }
  const d = Array.from(policyLogProbs, (lp, i) => lp - referenceLogProbs[i]);
  return mean(d);
}
