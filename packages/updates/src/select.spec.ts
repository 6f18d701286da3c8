import type { ScoredSampleSet } from '@apogee/core';
import { lrForRound, optimizerFor, trainingSchema } from './options';
import { bestSamples, preferencePairs } from './select';

const sets: ScoredSampleSet[] = [
  { queryId: 'a', prompt: 'P1', samples: ['x', '', 'y', 'z'], scores: [0.1, 5, 0.7, -2] },
  { queryId: 'b', prompt: 'P2', samples: ['', ''], scores: [1, 2] },
  { queryId: 'c', prompt: 'P3', samples: ['same', 'same', 'other'], scores: [1, 1, 1] },
];

describe('sample selection', () => {
  it('RJS keeps the best non-empty sample per query (first on ties) and skips all-empty queries', () => {
    expect(bestSamples(sets)).toEqual([
      { prompt: 'P1', response: 'y' },
      { prompt: 'P3', response: 'same' },
    ]);
  });

  it('DPO best-worst pairs the best non-empty sample with the lowest-scored other one', () => {
    expect(preferencePairs(sets, 'best-worst')).toEqual([{ id: 'a', prompt: 'P1', chosen: 'y', rejected: 'z' }]);
  });

  it('DPO best-rest and all skip ties, empty chosen sides and identical texts', () => {
    expect(preferencePairs(sets, 'best-rest').map((p) => `${p.chosen}>${p.rejected}`)).toEqual(['y>x', 'y>z']);
    expect(preferencePairs(sets, 'all').map((p) => `${p.chosen}>${p.rejected}`)).toEqual(['x>z', 'y>x', 'y>z']);
  });
});

describe('per-round learning rates', () => {
  it('uses the paper schedule per round and its last entry after it', () => {
    const lr = [5e-6, 2e-6, 9e-7];
    expect([1, 2, 3, 4].map((r) => lrForRound(lr, r))).toEqual([5e-6, 2e-6, 9e-7, 9e-7]);
    expect(lrForRound(1e-3, 7)).toBe(1e-3);
    const o = optimizerFor(trainingSchema.parse({ lr, warmupSteps: 50 }), 2, 10);
    expect(o).toEqual({ lr: 2e-6, warmupSteps: 10, totalSteps: 10, schedule: 'constant', weightDecay: 0, gradClip: 1 });
  });
});
