import { chiSquareCritical999, referenceSamplingDistribution } from './sampler-kit';

describe('sampler kit internals', () => {
  it('χ² critical values at α = 0.001 match the tables within 1%', () => {
    // Tabulated upper 0.1% points of χ²(df).
    for (const [df, table] of [[1, 10.828], [5, 20.515], [10, 29.588], [12, 32.909], [30, 59.703], [100, 149.449]] as const) {
      expect(Math.abs(chiSquareCritical999(df) - table) / table).toBeLessThan(0.01);
    }
  });

  it('builds the filtered softmax step by step (penalty, temperature, top-k, top-p, min-p)', () => {
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    const round = (p: Float64Array): number[] => Array.from(p, (x) => Math.round(x * 1e6) / 1e6);
    expect(round(referenceSamplingDistribution(logits, {}))).toEqual([0.5, 0.3, 0.15, 0.05]);
    expect(round(referenceSamplingDistribution(logits, { topK: 2 }))).toEqual([0.625, 0.375, 0, 0]);
    expect(round(referenceSamplingDistribution(logits, { topP: 0.81 }))).toEqual([0.526316, 0.315789, 0.157895, 0]);
    expect(round(referenceSamplingDistribution(logits, { minP: 0.5 }))).toEqual([0.625, 0.375, 0, 0]);
    expect(round(referenceSamplingDistribution(logits, { temperature: 0 }))).toEqual([1, 0, 0, 0]);
    // Repetition penalty 2 on id 0 (logit log 0.5 < 0 → ×2): 0.25 vs 0.3 → id 1 wins greedy.
    expect(round(referenceSamplingDistribution(logits, { greedy: true, repetitionPenalty: 2 }, [0, 0]))).toEqual([0, 1, 0, 0]);
  });
});
