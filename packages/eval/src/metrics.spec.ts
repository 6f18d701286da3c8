import { calibration, mean, orderedPairs, preferenceAccuracy, sampledKl, sigmoid, std, winRate } from './metrics';

describe('metrics (hand-computed)', () => {
  it('mean and population std', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(std([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(std([7])).toBe(0);
    expect(mean([])).toBeNaN();
  });

  it('orderedPairs: every ordered pair with valid, different scores; p = σ(z_j − z_i), y = 1[s_j > s_i]', () => {
    const pairs = orderedPairs([
      { rewards: [2, 0], scores: [1, 0] },
      { rewards: [1, 2, 3], scores: [0, 1, -1] }, // slot 2 is padding
      { rewards: [5, 6], scores: [1, 1] }, // tie in labels: no pair
    ]);
    expect(pairs).toHaveLength(4);
    expect(pairs[0].p).toBeCloseTo(0.119202922, 8);
    expect(pairs[0].y).toBe(0);
    expect(pairs[1].p).toBeCloseTo(0.880797078, 8);
    expect(pairs[1].y).toBe(1);
    expect(pairs[2]).toEqual({ p: sigmoid(1), y: 1 });
    expect(pairs[3]).toEqual({ p: sigmoid(-1), y: 0 });
  });

  it('preferenceAccuracy counts unordered pairs, ties in z as one half', () => {
    expect(preferenceAccuracy([{ rewards: [2, 0], scores: [1, 0] }, { rewards: [0, 1], scores: [1, 0] }])).toBe(0.5);
    expect(preferenceAccuracy([{ rewards: [1, 1], scores: [1, 0] }])).toBe(0.5);
    expect(preferenceAccuracy([{ rewards: [3, 2, 1], scores: [2, 1, 0] }])).toBe(1);
    expect(preferenceAccuracy([{ rewards: [1, 2, 3], scores: [0, 1, 2] }, { rewards: [1, 0], scores: [0, 1] }])).toBe(0.75);
    expect(preferenceAccuracy([{ rewards: [1, 2], scores: [1, 1] }])).toBeNaN();
  });

  it('ECE = Σ_b |Σp − Σy| / N, ACE = mean bin gap, MCE = max bin gap (10 uniform bins)', () => {
    // bin 5 holds 0.55 (y 1) and 0.58 (y 0): |1.13 − 1| = 0.13; bin 9 holds 0.95 (y 1): 0.05
    const c = calibration([{ p: 0.55, y: 1 }, { p: 0.58, y: 0 }, { p: 0.95, y: 1 }]);
    expect(c.ece).toBeCloseTo(0.18 / 3, 12);
    expect(c.ace).toBeCloseTo((0.065 + 0.05) / 2, 12);
    expect(c.mce).toBeCloseTo(0.065, 12);
    expect(c.pairs).toBe(3);
    expect(c.bins).toHaveLength(10);
    expect(c.bins[5]).toMatchObject({ lower: 0.5, upper: 0.6, count: 2 });
    expect(c.bins[5].meanP).toBeCloseTo(0.565, 12);
    expect(c.bins[5].meanY).toBe(0.5);
    expect(c.bins[0].count).toBe(0);
    expect(c.bins[0].meanP).toBeNaN();
    // p = 1 goes to the last bin, p = 0 to the first
    const edge = calibration([{ p: 1, y: 1 }, { p: 0, y: 0 }]);
    expect(edge.bins[9].count).toBe(1);
    expect(edge.bins[0].count).toBe(1);
    expect(edge.ece).toBe(0);
  });

  it('calibration of the ordered pairs of two items', () => {
    const c = calibration(orderedPairs([{ rewards: [2, 0], scores: [1, 0] }, { rewards: [0, 1], scores: [1, 0] }]));
    // pairs: (σ(−2), 0), (σ(2), 1), (σ(1), 0), (σ(−1), 1), each alone in its bin
    const gaps = [sigmoid(-2), 1 - sigmoid(2), sigmoid(1), 1 - sigmoid(-1)];
    expect(c.ece).toBeCloseTo(mean(gaps), 12);
    expect(c.ace).toBeCloseTo(mean(gaps), 12);
    expect(c.mce).toBeCloseTo(sigmoid(1), 12);
    expect(calibration([]).ece).toBeNaN();
  });

  it('win rate (ties ½) and sampled KL', () => {
    expect(winRate([1, 0.5, 0], [0.5, 0.5, 1])).toBe(0.5);
    expect(winRate([1, 1], [0, 0])).toBe(1);
    expect(() => winRate([1], [1, 2])).toThrow(/1 policy scores and 2 reference scores/);
    expect(() => sampledKl([1], [1, 2])).toThrow(/sampledKl needs one reference log-prob/);
    expect(sampledKl([-1, -2], [-1.5, -1])).toBe(-0.25);
  });
});
