import { Rng } from '@apogee/core';
import { bestOfNBlockSchema, bestOfNCurve, bestOfNExpectedGold, bestOfNKl } from './best-of-n';

/** Enumerate every n-subset; keep the top-scored sample, averaging gold over score ties. */
function bruteForce(gold: number[], scores: number[], n: number): number {
  const N = gold.length;
  let total = 0;
  let count = 0;
  const rec = (start: number, chosen: number[]) => {
    if (chosen.length === n) {
      const top = Math.max(...chosen.map((i) => scores[i]));
      const tied = chosen.filter((i) => scores[i] === top);
      total += tied.reduce((s, i) => s + gold[i], 0) / tied.length;
      count++;
      return;
    }
    for (let i = start; i < N; i++) rec(i + 1, [...chosen, i]);
  };
  rec(0, []);
  return total / count;
}

describe('bestOfNKl', () => {
  it('is log n − (n − 1)/n', () => {
    expect(bestOfNKl(1)).toBe(0);
    expect(bestOfNKl(2)).toBeCloseTo(Math.log(2) - 0.5, 12);
    expect(bestOfNKl(16)).toBeCloseTo(2.7725887 - 0.9375, 6);
    expect(() => bestOfNKl(0)).toThrow(/positive integer/);
  });
});

describe('bestOfNExpectedGold', () => {
  it('equals brute-force enumeration of every subset, with and without score ties', () => {
    const rng = Rng.fromSeed(5, 'test');
    for (let trial = 0; trial < 30; trial++) {
      const N = 2 + (trial % 7); // 2 … 8
      const gold = Array.from({ length: N }, () => Math.round(rng.float() * 100) / 100);
      // Every third trial draws scores from 3 levels, so ties are common.
      const scores = Array.from({ length: N }, () => (trial % 3 === 0 ? rng.int(3) : rng.normal()));
      for (let n = 1; n <= N; n++) expect(bestOfNExpectedGold(gold, scores, n)).toBeCloseTo(bruteForce(gold, scores, n), 10);
    }
  });

  it('n = 1 is the mean gold, n = N the top-scored sample, all-tied scores the mean at every n', () => {
    const gold = [0.1, 0.9, 0.4, 0.6];
    expect(bestOfNExpectedGold(gold, [3, 1, 2, 0], 1)).toBeCloseTo(0.5, 12);
    expect(bestOfNExpectedGold(gold, [3, 1, 2, 0], 4)).toBeCloseTo(0.1, 12);
    for (let n = 1; n <= 4; n++) expect(bestOfNExpectedGold(gold, [1, 1, 1, 1], n)).toBeCloseTo(0.5, 12);
    // Selecting by gold itself rises monotonically to the max.
    const byGold = [1, 2, 3, 4].map((n) => bestOfNExpectedGold(gold, gold, n));
    expect(byGold[3]).toBeCloseTo(0.9, 12);
    for (let k = 1; k < 4; k++) expect(byGold[k]).toBeGreaterThan(byGold[k - 1]);
  });

  it('names bad input', () => {
    expect(() => bestOfNExpectedGold([1, 2], [1], 1)).toThrow(/2 gold values and 1 scores/);
    expect(() => bestOfNExpectedGold([1, 2], [1, 2], 3)).toThrow(/\[1, 2\]/);
    expect(() => bestOfNExpectedGold([1, NaN], [1, 2], 1)).toThrow(/sample 1/);
  });
});

describe('bestOfNCurve', () => {
  it('averages the exact values over prompts, against the closed-form KL', () => {
    const prompts = [
      { gold: [0, 1, 0.5], scores: [0.2, 0.1, 0.9] },
      { gold: [1, 0, 0, 0.2], scores: [1, 2, 3, 4] },
    ];
    const curve = bestOfNCurve(prompts);
    expect(curve.map((p) => p.n)).toEqual([1, 2, 3]);
    curve.forEach(({ n, kl, gold }) => {
      expect(kl).toBeCloseTo(bestOfNKl(n), 12);
      expect(gold).toBeCloseTo((bruteForce(prompts[0].gold, prompts[0].scores, n) + bruteForce(prompts[1].gold, prompts[1].scores, n)) / 2, 12);
    });
    expect(bestOfNCurve(prompts, { ns: [2] })).toHaveLength(1);
    expect(() => bestOfNCurve(prompts, { ns: [4] })).toThrow(/exceeds the 3 samples/);
    expect(() => bestOfNCurve([{ gold: [1], scores: [] }])).toThrow(/prompt 0:/);
    expect(bestOfNBlockSchema.parse(curve.map((p) => ({ rm: 'RM_Base', ...p })))).toHaveLength(3);
  });
});
