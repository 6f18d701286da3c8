/**
 * Statistics for paired, per-seed claims: an exact sign test across seeds and a seeded percentile
 * bootstrap of the mean difference (docs/concepts/evaluation.md, docs/decisions/0065-claims-statistics.md).
 * Pure functions on plain numbers; randomness only from core's {@link Rng}.
 */

import { ApogeeError, ERROR_CODES, Rng } from '@apogee/core';

/**
 * Two-sided exact binomial p-value for k successes of n under p = 1/2:
 * min(1, 2 · P(X ≤ min(k, n − k))). n = 0 gives 1.
 * Examples: 9 of 10 → 0.0215, 10 of 12 → 0.0386, 5 of 5 → 0.0625.
 */
export function binomialTwoSidedP(k: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0 || k > n) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `binomialTwoSidedP needs integers 0 ≤ k ≤ n; got k=${k}, n=${n}.`);
  }
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  // P(X ≤ m) = Σ_{i≤m} C(n, i) / 2^n, with C(n, i) built up as a running product (exact for n ≲ 1000).
  let term = Math.pow(0.5, n); // C(n, 0) / 2^n
  let tail = 0;
  for (let i = 0; i <= m; i++) {
    tail += term;
    term = (term * (n - i)) / (i + 1);
  }
  return Math.min(1, 2 * tail);
}

/** Result of {@link signTest}. */
export interface SignTestResult {
  /** Values > 0. */
  positive: number;
  /** Values < 0. */
  negative: number;
  /** Values exactly 0: dropped from the test. */
  ties: number;
  /** positive + negative: the number of values the test uses. */
  n: number;
  /** Exact two-sided p-value (1 when n = 0). */
  pValue: number;
}

/**
 * Exact two-sided sign test of H0 "a positive and a negative difference are equally likely".
 * Differences exactly 0 (ties) are dropped, the usual convention (Dixon & Mood 1946); they are
 * counted in `ties` so a report can say how many there were. NaN values are an error.
 */
export function signTest(values: ArrayLike<number>): SignTestResult {
  let positive = 0;
  let negative = 0;
  let ties = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `signTest got NaN at index ${i}; every paired difference must be a number.`);
    if (v > 0) positive++;
    else if (v < 0) negative++;
    else ties++;
  }
  const n = positive + negative;
  return { positive, negative, ties, n, pValue: binomialTwoSidedP(positive, n) };
}

/** Options of {@link bootstrapMeanCi}. */
export interface BootstrapOptions {
  /** Seed of the resampling stream (`Rng.fromSeed(seed, stream)`). Default 0. */
  seed?: number;
  /** Name of the resampling stream, so different claims resample independently. Default `bootstrap`. */
  stream?: string;
  /** Number of bootstrap resamples B. Default 10000 (Monte-Carlo error of a 2.5% quantile ≈ 0.1 percentage point). */
  resamples?: number;
  /** Coverage of the interval. Default 0.95. */
  level?: number;
}

/**
 * Linear-interpolation quantile of sorted values (type 7 of Hyndman & Fan 1996, R's default).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile bootstrap confidence interval of the mean (Efron & Tibshirani 1993, §13.3): draw B
 * resamples of the n values with replacement, take the mean of each, and return the (1−level)/2 and
 * (1+level)/2 quantiles of those means. Deterministic for a given seed, stream and input order.
 * One value gives [v, v]; none gives [NaN, NaN].
 */
export function bootstrapMeanCi(values: ArrayLike<number>, options: BootstrapOptions = {}): [number, number] {
  const { seed = 0, stream = 'bootstrap', resamples = 10000, level = 0.95 } = options;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `bootstrapMeanCi: resamples must be a positive integer, got ${resamples}.`);
  }
  if (!(level > 0 && level < 1)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `bootstrapMeanCi: level must lie in (0, 1), got ${level}.`);
  }
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `bootstrapMeanCi got a non-finite value (${values[i]}) at index ${i}.`);
  }
  if (n === 0) return [NaN, NaN];
  const rng = Rng.fromSeed(seed, stream);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[b] = s / n;
  }
  means.sort();
  const a = (1 - level) / 2;
  return [quantileSorted(means, a), quantileSorted(means, 1 - a)];
}
