import { Rng, type Sampler, type SamplerStep } from '@apogee/core';

/**
 * What a sampler claims to do, so the kit can build the distribution it must draw from with its
 * own slow, float64, sort-based reference implementation (independent of the sampler's code).
 * Leave a field out when the sampler does not apply that filter.
 */
export interface SamplerClaims {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  /** Always the argmax. */
  greedy?: boolean;
}

export interface DescribeSamplerOptions {
  /** Seed of the kit's draws (default 1234). */
  seed?: number;
  /** Draws for the χ² test (default 6000). */
  draws?: number;
}

/** Token ids the χ² test treats as prompt / generated (they get the repetition penalty). */
const PROMPT_IDS = [1, 3, 3];
const GENERATED_IDS = [5, 1];

/**
 * The probabilities a sampler with `claims` must draw the next token from, given one row of
 * logits, computed step by step in float64: repetition penalty, temperature, top-k, top-p, min-p,
 * softmax (Hugging Face's order).
 */
export function referenceSamplingDistribution(
  logits: ArrayLike<number>,
  claims: SamplerClaims,
  history: ReadonlyArray<number> = [],
): Float64Array {
  const z = Float64Array.from(logits);
  const penalty = claims.repetitionPenalty ?? 1;
  if (penalty !== 1) for (const id of new Set(history)) z[id] = z[id] > 0 ? z[id] / penalty : z[id] * penalty;
  const out = new Float64Array(z.length);
  const t = claims.temperature ?? 1;
  if (claims.greedy || t === 0) {
    let best = 0;
    for (let i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
    out[best] = 1;
    return out;
  }
  for (let i = 0; i < z.length; i++) z[i] /= t;
  const keep = Array.from(z, (v) => v > -Infinity);
  const order = [...z.keys()].sort((a, b) => z[b] - z[a] || a - b);
  if (claims.topK && claims.topK < z.length) {
    const kth = z[order[claims.topK - 1]];
    for (let i = 0; i < z.length; i++) if (z[i] < kth) keep[i] = false;
  }
  const softmax = (): Float64Array => {
    const p = new Float64Array(z.length);
    let max = -Infinity;
    for (let i = 0; i < z.length; i++) if (keep[i]) max = Math.max(max, z[i]);
    let s = 0;
    for (let i = 0; i < z.length; i++) if (keep[i]) s += p[i] = Math.exp(z[i] - max);
    for (let i = 0; i < z.length; i++) p[i] /= s;
    return p;
  };
  if (claims.topP !== undefined && claims.topP < 1) {
    const p = softmax();
    let before = 0;
    for (const i of order) {
      if (!keep[i]) continue;
      if (before >= claims.topP) keep[i] = false;
      before += p[i];
    }
  }
  if (claims.minP) {
    const p = softmax();
    const max = Math.max(...p);
    for (let i = 0; i < z.length; i++) if (p[i] < claims.minP * max) keep[i] = false;
  }
  out.set(softmax());
  return out;
}

/** Upper 0.1% points of χ²(df) for df = 1..11 (standard tables). */
const CHI2_999 = [10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588, 31.264];

/**
 * Upper critical value of χ²(df) at significance 0.001: tabulated up to df = 11, the
 * Wilson–Hilferty approximation (within 0.5% there) beyond.
 */
export function chiSquareCritical999(df: number): number {
  if (df >= 1 && df <= CHI2_999.length && Number.isInteger(df)) return CHI2_999[df - 1];
  const z = 3.0902; // standard-normal 0.999 quantile
  const a = 2 / (9 * df);
  return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
}

function step(logits: Float32Array, batch: number, vocab: number, rng: Rng, generated?: number[][], promptIds?: number[][]): SamplerStep {
  return {
    logits,
    batch,
    vocab,
    rng,
    generated: generated ?? Array.from({ length: batch }, () => []),
    promptIds: promptIds ?? Array.from({ length: batch }, () => []),
  };
}

/** Fixed, tie-free logits for the distribution tests. */
function fixedLogits(vocab: number): Float32Array {
  const r = Rng.fromSeed(77, 'sampler-kit-logits');
  return Float32Array.from({ length: vocab }, (_, i) => 2.5 * Math.sin(1.7 * i + 0.3) + 0.2 * r.float());
}

/** Result of {@link samplerChiSquare}. */
export interface SamplerChiSquare {
  /** Pearson's χ² over the tokens with non-zero expected probability (0 when only one has). */
  chi2: number;
  /** The α = 0.001 critical value for `support − 1` degrees of freedom (Infinity when support ≤ 1). */
  critical: number;
  /** Tokens with non-zero expected probability. */
  support: number;
  /** Tokens drawn although their expected probability is 0. */
  outside: number[];
  counts: number[];
  expected: number[];
}

/**
 * Draw `draws` tokens (batches of 200 identical rows of fixed, tie-free logits over 12 tokens, with
 * prompt and generated ids so a repetition penalty matters) and compare the frequencies with
 * {@link referenceSamplingDistribution} for `claims`.
 */
export function samplerChiSquare(factory: () => Sampler, claims: SamplerClaims, kit: DescribeSamplerOptions = {}): SamplerChiSquare {
  const vocab = 12;
  const base = fixedLogits(vocab);
  const expected = referenceSamplingDistribution(base, claims, [...PROMPT_IDS, ...GENERATED_IDS]);
  const batch = 200;
  const rounds = Math.ceil((kit.draws ?? 6000) / batch);
  const counts = new Array<number>(vocab).fill(0);
  const rng = Rng.fromSeed(kit.seed ?? 1234, 'chi2');
  const s = factory();
  for (let t = 0; t < rounds; t++) {
    const logits = new Float32Array(batch * vocab);
    for (let r = 0; r < batch; r++) logits.set(base, r * vocab);
    const ids = s.next(step(logits, batch, vocab, rng, Array.from({ length: batch }, () => GENERATED_IDS), Array.from({ length: batch }, () => PROMPT_IDS)));
    for (const id of ids) counts[id]++;
  }
  const total = rounds * batch;
  let chi2 = 0;
  let support = 0;
  const outside: number[] = [];
  for (let i = 0; i < vocab; i++) {
    if (expected[i] === 0) {
      if (counts[i] > 0) outside.push(i);
      continue;
    }
    support++;
    const e = expected[i] * total;
    chi2 += ((counts[i] - e) * (counts[i] - e)) / e;
  }
  return { chi2, critical: support > 1 ? chiSquareCritical999(support - 1) : Infinity, support, outside, counts, expected: Array.from(expected) };
}

/**
 * The conformance kit every sampler runs: valid ids for every row of a batch, masked tokens never
 * drawn, reproducible for a seed, greedy = argmax, top-k support, and empirical frequencies that
 * match the claimed filtered softmax within a χ² bound (significance 0.001, fixed seed).
 *
 * ```ts
 * describeSampler(() => new FusedSampler({ topK: 5, temperature: 0.3 }), { topK: 5, temperature: 0.3 });
 * ```
 */
export function describeSampler(factory: () => Sampler, claims: SamplerClaims = {}, kit: DescribeSamplerOptions = {}): void {
  const seed = kit.seed ?? 1234;
  const draws = kit.draws ?? 6000;
  const greedy = claims.greedy === true || claims.temperature === 0;
  describe(`sampler conformance: ${factory().name}`, () => {
    it('returns one valid id per row of a batch and never picks a -Infinity logit', () => {
      const batch = 5;
      const vocab = 37;
      const rng = Rng.fromSeed(seed, 'rows');
      const s = factory();
      for (let t = 0; t < 40; t++) {
        const logits = Float32Array.from({ length: batch * vocab }, () => 4 * rng.normal());
        for (let r = 0; r < batch; r++) for (let v = 0; v < vocab; v += 3) logits[r * vocab + v] = -Infinity;
        const ids = s.next(step(logits, batch, vocab, rng, Array.from({ length: batch }, (_, r) => [r + 1, 2 * r + 1])));
        expect(ids).toBeInstanceOf(Int32Array);
        expect(ids.length).toBe(batch);
        for (const id of ids) {
          expect(Number.isInteger(id) && id >= 0 && id < vocab).toBe(true);
          expect(id % 3).not.toBe(0);
        }
      }
    });

    it('is reproducible: the same seed gives the same ids', () => {
      const run = (s: number): number[] => {
        const sampler = factory();
        const rng = Rng.fromSeed(s, 'repro');
        const logitsRng = Rng.fromSeed(9, 'repro-logits');
        const ids: number[] = [];
        for (let t = 0; t < 50; t++) {
          const logits = Float32Array.from({ length: 2 * 20 }, () => logitsRng.normal());
          ids.push(...sampler.next(step(logits, 2, 20, rng)));
        }
        return ids;
      };
      expect(run(seed)).toEqual(run(seed));
      if (!greedy) expect(run(seed)).not.toEqual(run(seed + 1));
    });

    if (greedy) {
      it('greedy (temperature 0): picks the argmax of every row', () => {
        const rng = Rng.fromSeed(seed, 'greedy');
        const vocab = 30;
        const s = factory();
        for (let t = 0; t < 30; t++) {
          const logits = Float32Array.from({ length: 3 * vocab }, () => 3 * rng.normal());
          const copy = Array.from(logits);
          const history = [PROMPT_IDS, PROMPT_IDS, PROMPT_IDS];
          const ids = s.next(step(logits, 3, vocab, rng, [GENERATED_IDS, GENERATED_IDS, GENERATED_IDS], history));
          for (let r = 0; r < 3; r++) {
            const p = referenceSamplingDistribution(copy.slice(r * vocab, (r + 1) * vocab), claims, [...PROMPT_IDS, ...GENERATED_IDS]);
            expect(p[ids[r]]).toBe(1);
          }
        }
      });
    }

    if (claims.topK) {
      it(`top-k: never emits a token outside the ${claims.topK} highest logits`, () => {
        const k = claims.topK as number;
        const rng = Rng.fromSeed(seed, 'top-k');
        const vocab = 50;
        const s = factory();
        for (let t = 0; t < 200; t++) {
          const logits = Float32Array.from({ length: vocab }, () => rng.normal());
          const kth = [...logits].sort((a, b) => b - a)[k - 1];
          // The repetition penalty (if any) only applies to history ids; none are given here.
          const [id] = s.next(step(Float32Array.from(logits), 1, vocab, rng));
          expect(logits[id]).toBeGreaterThanOrEqual(kth);
        }
      });
    }

    it('empirical frequencies match the claimed filtered softmax (χ², α = 0.001)', () => {
      const r = samplerChiSquare(factory, claims, { seed, draws });
      expect({ drawnOutsideSupport: r.outside }).toEqual({ drawnOutsideSupport: [] });
      expect(r.chi2).toBeLessThan(r.critical);
    });
  });
}
