import { Rng } from '@apogee/core';
import { binomialTwoSidedP, bootstrapMeanCi, quantileSorted, signTest } from './paired-stats';

/** P(|X − n/2| ≥ |k − n/2|) for X ~ Bin(n, ½), by enumerating all 2^n sign patterns. */
function bruteForceSignP(k: number, n: number): number {
  let extreme = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let ones = 0;
    for (let b = 0; b < n; b++) ones += (mask >> b) & 1;
    if (Math.abs(ones - n / 2) >= Math.abs(k - n / 2) - 1e-12) extreme++;
  }
  return extreme / (1 << n);
}

describe('binomialTwoSidedP / signTest', () => {
  it('gives the textbook values 9/10 → 0.0215, 10/12 → 0.0386, 5/5 → 0.0625', () => {
    expect(binomialTwoSidedP(9, 10)).toBeCloseTo(22 / 1024, 12);
    expect(binomialTwoSidedP(9, 10)).toBeCloseTo(0.0215, 4);
    expect(binomialTwoSidedP(10, 12)).toBeCloseTo(158 / 4096, 12);
    expect(binomialTwoSidedP(10, 12)).toBeCloseTo(0.0386, 4);
    expect(binomialTwoSidedP(5, 5)).toBeCloseTo(0.0625, 12);
    expect(binomialTwoSidedP(0, 0)).toBe(1);
  });

  it('matches enumeration of every sign pattern for n ≤ 12', () => {
    for (let n = 1; n <= 12; n++) {
      for (let k = 0; k <= n; k++) expect(binomialTwoSidedP(k, n)).toBeCloseTo(bruteForceSignP(k, n), 12);
    }
  });

  it('drops ties and counts them', () => {
    const r = signTest([0.2, 0.1, 0.3, 0.05, 0.4, 0, 0]);
    expect(r).toEqual({ positive: 5, negative: 0, ties: 2, n: 5, pValue: 0.0625 });
    const s = signTest([-1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s.positive).toBe(9);
    expect(s.negative).toBe(1);
    expect(s.pValue).toBeCloseTo(0.0215, 4);
  });

  it('rejects NaN and impossible counts', () => {
    expect(() => signTest([1, NaN])).toThrow(/NaN at index 1/);
    expect(() => binomialTwoSidedP(3, 2)).toThrow(/0 ≤ k ≤ n/);
  });
});

/** Exact bootstrap distribution of the mean for small n: every one of the n^n resamples. */
function exactBootstrapMeans(values: number[]): number[] {
  const n = values.length;
  const out: number[] = [];
  const idx = new Array<number>(n).fill(0);
  for (let c = 0; c < n ** n; c++) {
    let rest = c;
    for (let i = 0; i < n; i++) {
      idx[i] = rest % n;
      rest = Math.floor(rest / n);
    }
    out.push(idx.reduce((s, j) => s + values[j], 0) / n);
  }
  return out.sort((a, b) => a - b);
}

describe('bootstrapMeanCi', () => {
  it('is deterministic for a seed and stream, and differs across streams', () => {
    const xs = [0.3, -0.1, 0.25, 0.4, 0.05, 0.12, 0.2, -0.02, 0.31, 0.18];
    const a = bootstrapMeanCi(xs, { seed: 7, stream: 'claims/x' });
    expect(bootstrapMeanCi(xs, { seed: 7, stream: 'claims/x' })).toEqual(a);
    expect(bootstrapMeanCi(xs, { seed: 7, stream: 'claims/y' })).not.toEqual(a);
    expect(a[0]).toBeLessThan(a[1]);
  });

  it('matches the exact bootstrap distribution enumerated for n = 5', () => {
    const xs = [0.9, -0.4, 0.1, 1.7, 0.3];
    const exact = exactBootstrapMeans(xs);
    const [lo, hi] = bootstrapMeanCi(xs, { seed: 3, resamples: 40000 });
    // Quantiles of 40000 resamples sit within a few exact-distribution quantile steps of the truth.
    // The exact distribution has atoms, so the bounds are inclusive.
    expect(lo).toBeGreaterThanOrEqual(quantileSorted(exact, 0.02) - 1e-12);
    expect(lo).toBeLessThanOrEqual(quantileSorted(exact, 0.03) + 1e-12);
    expect(hi).toBeGreaterThanOrEqual(quantileSorted(exact, 0.97) - 1e-12);
    expect(hi).toBeLessThanOrEqual(quantileSorted(exact, 0.98) + 1e-12);
    // …and far from the 1% / 99% quantiles (the test can fail if the level were wrong).
    expect(lo).toBeGreaterThan(quantileSorted(exact, 0.005));
    expect(hi).toBeLessThan(quantileSorted(exact, 0.995));
  });

  it('agrees with the normal approximation mean ± 1.96·σ/√n for a larger sample', () => {
    const rng = Rng.fromSeed(11, 'test');
    const xs = Array.from({ length: 200 }, () => 0.5 + rng.normal());
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
    const half = (1.96 * sd) / Math.sqrt(xs.length);
    const [lo, hi] = bootstrapMeanCi(xs, { seed: 1 });
    expect(lo).toBeCloseTo(m - half, 1);
    expect(hi).toBeCloseTo(m + half, 1);
    expect(Math.abs(hi - lo - 2 * half) / (2 * half)).toBeLessThan(0.08);
  });

  it('handles one and zero values, and rejects bad options', () => {
    expect(bootstrapMeanCi([0.4])).toEqual([0.4, 0.4]);
    expect(bootstrapMeanCi([])).toEqual([NaN, NaN]);
    expect(() => bootstrapMeanCi([1, 2], { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapMeanCi([1, 2], { level: 1 })).toThrow(/level/);
    expect(() => bootstrapMeanCi([1, Infinity])).toThrow(/index 1/);
  });

  it('quantileSorted interpolates linearly (R type 7)', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileSorted([10, 20], 0.25)).toBe(12.5);
  });
});
