import { frontierBlockSchema, goldAtKl, goldDifferenceAtMatchedKl, meanFrontier, upperEnvelope } from './frontier';

describe('meanFrontier', () => {
  it('averages over seeds per arm and round, with population std', () => {
    const rows = [
      { arm: 'rjs', round: 1, kl: 2, gold: 0.4, seed: 1 },
      { arm: 'rjs', round: 0, kl: 0, gold: 0.3, seed: 1 },
      { arm: 'rjs', round: 1, kl: 4, gold: 0.6, seed: 2 },
      { arm: 'oracle', round: 1, kl: 1, gold: 0.9, seed: 1 },
    ];
    expect(meanFrontier(rows)).toEqual([
      { arm: 'rjs', round: 0, kl: 0, gold: 0.3, klStd: 0, goldStd: 0, seeds: 1 },
      { arm: 'rjs', round: 1, kl: 3, gold: 0.5, klStd: 1, goldStd: expect.closeTo(0.1, 12), seeds: 2 },
      { arm: 'oracle', round: 1, kl: 1, gold: 0.9, klStd: 0, goldStd: 0, seeds: 1 },
    ]);
    expect(frontierBlockSchema.parse(meanFrontier(rows))).toHaveLength(3);
    expect(frontierBlockSchema.safeParse([{ arm: 'x', round: -1, kl: 0, gold: 0 }]).success).toBe(false);
  });
});

describe('upperEnvelope', () => {
  it('keeps the points no other point dominates, sorted by KL', () => {
    const pts = [
      { kl: 3, gold: 0.5 },
      { kl: 0, gold: 0.3 },
      { kl: 1, gold: 0.45 },
      { kl: 2, gold: 0.4 }, // dominated by (1, 0.45)
      { kl: 5, gold: 0.5 }, // dominated by (3, 0.5)
      { kl: 6, gold: 0.7 },
    ];
    expect(upperEnvelope(pts)).toEqual([
      { kl: 0, gold: 0.3 },
      { kl: 1, gold: 0.45 },
      { kl: 3, gold: 0.5 },
      { kl: 6, gold: 0.7 },
    ]);
  });
});

describe('goldAtKl', () => {
  const pts = [
    { kl: 2, gold: 0.6 },
    { kl: 0, gold: 0.2 },
    { kl: 4, gold: 0.4 },
  ];
  it('interpolates linearly and does not extrapolate', () => {
    expect(goldAtKl(pts, 0)).toBeCloseTo(0.2, 12);
    expect(goldAtKl(pts, 1)).toBeCloseTo(0.4, 12);
    expect(goldAtKl(pts, 3)).toBeCloseTo(0.5, 12);
    expect(goldAtKl(pts, 4)).toBeCloseTo(0.4, 12);
    expect(goldAtKl(pts, 4.1)).toBeNaN();
    expect(goldAtKl(pts, -0.1)).toBeNaN();
    expect(goldAtKl([], 0)).toBeNaN();
  });
  it('averages points at the same KL', () => {
    expect(goldAtKl([{ kl: 1, gold: 0 }, { kl: 1, gold: 1 }], 1)).toBeCloseTo(0.5, 12);
    expect(() => goldAtKl([{ kl: NaN, gold: 0 }], 1)).toThrow(/point 0/);
  });
});

describe('goldDifferenceAtMatchedKl', () => {
  it('is the mean gap over the shared KL range', () => {
    const a = [
      { kl: 0, gold: 0.2 },
      { kl: 4, gold: 0.6 },
    ];
    const b = [
      { kl: 0, gold: 0.2 },
      { kl: 2, gold: 0.2 },
      { kl: 6, gold: 0 },
    ];
    // Over [0, 4]: a − b = 0.1k on [0, 2] (mean 0.1), 0.1k + 0.05(k − 2) on [2, 4] (mean 0.35): 0.225.
    const exact = (() => {
      let s = 0;
      const m = 100000;
      for (let i = 0; i <= m; i++) s += goldAtKl(a, (4 * i) / m) - goldAtKl(b, (4 * i) / m);
      return s / (m + 1);
    })();
    const r = goldDifferenceAtMatchedKl(a, b, { gridPoints: 401 });
    expect(r.klLow).toBe(0);
    expect(r.klHigh).toBe(4);
    expect(r.difference).toBeCloseTo(exact, 3);
    expect(r.difference).toBeCloseTo(0.225, 3);
    expect(goldDifferenceAtMatchedKl(b, a, { gridPoints: 401 }).difference).toBeCloseTo(-r.difference, 12);
    expect(goldDifferenceAtMatchedKl(a, a).difference).toBe(0);
  });

  it('is NaN without overlap and compares at a single shared KL', () => {
    expect(goldDifferenceAtMatchedKl([{ kl: 0, gold: 1 }], [{ kl: 1, gold: 0 }]).difference).toBeNaN();
    expect(goldDifferenceAtMatchedKl([{ kl: 0, gold: 1 }], [{ kl: 0, gold: 0.25 }]).difference).toBeCloseTo(0.75, 12);
    expect(() => goldDifferenceAtMatchedKl([], [], { gridPoints: 1 })).toThrow(/gridPoints/);
  });
});
