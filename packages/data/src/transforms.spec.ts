import type { PreferenceItem } from '@apogee/core';
import { dedupeItems, filterByLength, hashUnit, joinGoldenWithSamples, splitByPrompt } from './index';

const item = (prompt: string, a = ' a', b = ' b', scores = [1, 0]): PreferenceItem => ({ prompt, responses: [a, b], scores });
const many = Array.from({ length: 400 }, (_, i) => item(`p${i % 150}`, ` a${i}`));

describe('splitByPrompt', () => {
  it('is deterministic, seed-dependent, order-independent, and never puts a prompt on both sides', () => {
    const a = splitByPrompt(many, { testFraction: 0.2, seed: 7 });
    const b = splitByPrompt([...many].reverse(), { testFraction: 0.2, seed: 7 });
    const c = splitByPrompt(many, { testFraction: 0.2, seed: 8 });
    expect(a.train.length + a.test.length).toBe(many.length);
    const trainPrompts = new Set(a.train.map((i) => i.prompt));
    const testPrompts = new Set(a.test.map((i) => i.prompt));
    expect([...testPrompts].filter((p) => trainPrompts.has(p))).toEqual([]);
    expect(new Set(b.test.map((i) => i.prompt))).toEqual(testPrompts);
    expect(new Set(c.test.map((i) => i.prompt))).not.toEqual(testPrompts);
    // About 20% of the 150 distinct prompts (binomial sd ≈ 4.9).
    expect(testPrompts.size).toBeGreaterThan(15);
    expect(testPrompts.size).toBeLessThan(45);
    expect(() => splitByPrompt(many, { testFraction: 1 })).toThrow(/"testFraction" must be between 0 and 1/);
  });

  it('hashUnit is a stable number in [0, 1)', () => {
    expect(hashUnit('hello', 0)).toBe(hashUnit('hello', 0));
    expect(hashUnit('hello', 0)).not.toBe(hashUnit('hello', 1));
    const u = Array.from({ length: 1000 }, (_, i) => hashUnit(`x${i}`, 'seed'));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.reduce((s, x) => s + x, 0) / u.length).toBeCloseTo(0.5, 1);
  });
});

describe('dedupeItems', () => {
  it('drops exact duplicates (response order ignored), keeping the first', () => {
    const list = [item('p', ' a', ' b'), item('p', ' b', ' a', [0, 1]), item('p', ' a', ' b', [0, 1]), item('q')];
    const out = dedupeItems(list);
    expect(out.duplicates).toBe(1);
    expect(out.items).toEqual([list[0], list[2], list[3]]);
  });
});

describe('filterByLength', () => {
  it('counts characters by default, tokens with a tokenizer, and returns what it drops', () => {
    const list = [item('short', ' yes', ' no'), item('a much longer prompt', ' x', ' y'), item('p', ' a very long response indeed', ' n')];
    const chars = filterByLength(list, { maxPromptLength: 10, maxResponseLength: 10 });
    expect(chars.kept).toEqual([list[0]]);
    expect(chars.dropped).toEqual([list[1], list[2]]);
    const words = { encode: (s: string) => s.split(/\s+/).filter(Boolean).map(() => 0) } as never;
    const tokens = filterByLength(list, { maxTotalLength: 5, tokenizer: words });
    expect(tokens.kept).toEqual([list[0], list[1]]);
  });
});

describe('joins by query_id', () => {
  it('reports every id without a partner, on both sides', () => {
    const golden = [
      { queryId: 'a', golden: 'A' },
      { queryId: 'b', golden: 'B' },
    ];
    const samples = [
      { queryId: 'b', prompt: 'pb', samples: ['x'] },
      { queryId: 'c', prompt: 'pc', samples: ['y'] },
      { queryId: 'b', prompt: 'pb2', samples: ['z'] },
    ];
    const j = joinGoldenWithSamples(golden, samples);
    expect(j.matched).toEqual([{ id: 'b', left: golden[1], right: samples[0] }]);
    expect(j.leftOnly).toEqual(['a']);
    expect(j.rightOnly).toEqual(['c']);
    expect(j.duplicateIds).toEqual(['b']);
  });
});
