import { ApogeeError, Rng, type SamplerStep } from '@apogee/core';
import { describeSampler, samplerChiSquare } from '@apogee/testing';
import {
  GreedySampler,
  MinPSampler,
  RepetitionPenaltySampler,
  TemperatureSampler,
  TopKSampler,
  TopPSampler,
} from './basic-samplers';
import { FusedSampler } from './fused-sampler';
import { testSampling, trainingSampling } from './presets';

// The conformance kit, for every sampler and the reference presets.
describeSampler(() => new GreedySampler(), { greedy: true });
describeSampler(() => new FusedSampler({ temperature: 0, repetitionPenalty: 1.3 }), { temperature: 0, repetitionPenalty: 1.3 });
describeSampler(() => new TemperatureSampler(1), { temperature: 1 });
describeSampler(() => new TemperatureSampler(0.5), { temperature: 0.5 });
describeSampler(() => new TemperatureSampler(1e-4), { temperature: 1e-4 }); // temperature → 0 equals greedy
describeSampler(() => new TopKSampler(3), { topK: 3 });
describeSampler(() => new TopPSampler(0.6), { topP: 0.6 });
describeSampler(() => new MinPSampler(0.2), { minP: 0.2 });
describeSampler(() => new RepetitionPenaltySampler(2), { repetitionPenalty: 2 });
describeSampler(() => new FusedSampler(trainingSampling.sampler), { temperature: 1.2, topP: 1 });
describeSampler(() => new FusedSampler(testSampling.sampler), { temperature: 0.3, topK: 5, topP: 0.85, repetitionPenalty: 1.05 });
describeSampler(
  () => new FusedSampler({ temperature: 0.8, topK: 8, topP: 0.9, minP: 0.05, repetitionPenalty: 1.2 }),
  { temperature: 0.8, topK: 8, topP: 0.9, minP: 0.05, repetitionPenalty: 1.2 },
);

function stepOf(logits: number[], rng = Rng.fromSeed(1), history: { prompt?: number[]; generated?: number[] } = {}): SamplerStep {
  return {
    logits: Float32Array.from(logits),
    batch: 1,
    vocab: logits.length,
    rng,
    promptIds: [history.prompt ?? []],
    generated: [history.generated ?? []],
  };
}

/** Which ids a sampler can emit for fixed logits (many draws). */
function support(s: FusedSampler, logits: number[], history?: { prompt?: number[]; generated?: number[] }): number[] {
  const rng = Rng.fromSeed(3);
  const seen = new Set<number>();
  for (let i = 0; i < 3000; i++) seen.add(s.next(stepOf(logits, rng, history))[0]);
  return [...seen].sort((a, b) => a - b);
}

function errorText(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as ApogeeError).describe();
  }
  return 'no error';
}

describe('FusedSampler', () => {
  it('repetition penalty divides positive and multiplies negative logits of each distinct seen id once (CTRL, as HF)', () => {
    const s = new FusedSampler({ greedy: true, repetitionPenalty: 2 });
    const step = stepOf([4, -1, 3, 0.5], Rng.fromSeed(1), { prompt: [0, 0], generated: [1, 0] });
    s.next(step);
    expect(Array.from(step.logits)).toEqual([2, -2, 3, 0.5]);
    // With the penalty, the argmax moves from id 0 (4 → 2) to id 2 (3).
    expect(s.next(stepOf([4, -1, 3, 0.5], Rng.fromSeed(1), { generated: [0] }))[0]).toBe(2);
  });

  it('top-p keeps the smallest prefix whose mass reaches p (the token crossing p included)', () => {
    // softmax of log-probs: p = [0.5, 0.3, 0.15, 0.05].
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    expect(support(new FusedSampler({ topP: 0.5 }), logits)).toEqual([0]);
    expect(support(new FusedSampler({ topP: 0.51 }), logits)).toEqual([0, 1]);
    expect(support(new FusedSampler({ topP: 0.8 }), logits)).toEqual([0, 1]);
    expect(support(new FusedSampler({ topP: 0.81 }), logits)).toEqual([0, 1, 2]);
    expect(support(new FusedSampler({ topP: 1 }), logits)).toEqual([0, 1, 2, 3]);
  });

  it('min-p drops tokens below minP · max p; top-k keeps ties with the k-th value', () => {
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    expect(support(new FusedSampler({ minP: 0.5 }), logits)).toEqual([0, 1]);
    expect(support(new FusedSampler({ minP: 0.29 }), logits)).toEqual([0, 1, 2]);
    expect(support(new FusedSampler({ topK: 2 }), [1, 2, 2, 0])).toEqual([1, 2]);
    expect(support(new FusedSampler({ topK: 1 }), [1, 2, 2, 0])).toEqual([1, 2]);
  });

  it('applies top-p after the temperature (HF order)', () => {
    // At T = 1 the top token has p = 0.5 (nucleus {0} for p = 0.5); at T = 0.5 it has 0.66.
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    expect(support(new FusedSampler({ topP: 0.6, temperature: 1 }), logits)).toEqual([0, 1]);
    expect(support(new FusedSampler({ topP: 0.6, temperature: 0.5 }), logits)).toEqual([0]);
  });

  it('handles a large vocabulary quickly and reproducibly', () => {
    const vocab = 50257;
    const batch = 4;
    const logitsRng = Rng.fromSeed(5);
    const logits = Float32Array.from({ length: batch * vocab }, () => 3 * logitsRng.normal());
    const s = new FusedSampler({ temperature: 0.9, topP: 0.95 });
    const a = s.next({ logits: logits.slice(), batch, vocab, rng: Rng.fromSeed(1), generated: [[], [], [], []], promptIds: [[], [], [], []] });
    const b = s.next({ logits: logits.slice(), batch, vocab, rng: Rng.fromSeed(1), generated: [[], [], [], []], promptIds: [[], [], [], []] });
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('rejects bad options, shapes, ids and non-finite rows with ApogeeErrors', () => {
    expect(() => new FusedSampler({ topP: 0 })).toThrow(ApogeeError);
    expect(errorText(() => new FusedSampler({ topK: 1.5 }))).toMatch(/- topK: /);
    expect(errorText(() => new FusedSampler({ temperature: -1 }))).toMatch(/- temperature: /);
    expect(() => new FusedSampler({ bogus: 1 } as never)).toThrow(ApogeeError);
    const s = new FusedSampler({});
    expect(() => s.next({ ...stepOf([1, 2]), vocab: 3 })).toThrow(/batch × vocab/);
    expect(() => s.next(stepOf([-Infinity, -Infinity]))).toThrow(/only -Infinity/);
    expect(() => s.next(stepOf([NaN, 1]))).toThrow(/NaN/);
    expect(() => new FusedSampler({ repetitionPenalty: 1.1 }).next(stepOf([1, 2], undefined, { prompt: [7] }))).toThrow(/outside the vocabulary/);
    try {
      s.next(stepOf([NaN]));
    } catch (e) {
      expect((e as ApogeeError).code).toBe('APOGEE_NON_FINITE');
    }
  });

  it('names itself after its active settings', () => {
    expect(new FusedSampler(testSampling.sampler).name).toBe('sampler(temperature=0.3,top-k=5,top-p=0.85,repetition-penalty=1.05)');
    expect(new GreedySampler().name).toBe('greedy');
  });
});

describe('sampler kit sensitivity', () => {
  it('the χ² check rejects a sampler whose settings differ from its claims', () => {
    const ok = samplerChiSquare(() => new FusedSampler({ temperature: 0.7, topP: 0.9 }), { temperature: 0.7, topP: 0.9 });
    expect(ok.chi2).toBeLessThan(ok.critical);
    const wrongT = samplerChiSquare(() => new FusedSampler({ temperature: 0.8, topP: 0.9 }), { temperature: 0.7, topP: 0.9 });
    expect(wrongT.chi2).toBeGreaterThan(wrongT.critical);
    const wrongP = samplerChiSquare(() => new FusedSampler({ temperature: 0.7 }), { temperature: 0.7, topP: 0.9 });
    expect(wrongP.outside.length).toBeGreaterThan(0);
  });
});
