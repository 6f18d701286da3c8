import { describeWithSharedData } from '@apogee/testing';
import { attachFlatScores as attachScores, buildApoItems, flattenSamples } from '@apogee/core';
import { layoutRewardBatch, prepareGolden, sampleMetrics } from './items';
import { readDspItems } from '../test/dsp';

describeWithSharedData('APO items from real HH dialogues', 'dsp/helpful.test.json', (file) => {
  const human = readDspItems(file, 12);
  // Treat the preferred answer as the golden one and the other as the policy's sample.
  const rmQueries = human.map((it) => ({ queryId: it.id!, prompt: it.prompt }));
  const goldenRaw = human.map((it) => ({ queryId: it.id!, golden: `${it.responses[0]}\nHuman: and then?` }));
  const samples = human.map((it) => ({ queryId: it.id!, prompt: it.prompt, samples: [it.responses[1], ''] }));

  it('golden answers take their prompts from the RM queries and are cut at "\\nHuman" like samples', () => {
    const golden = prepareGolden(goldenRaw, rmQueries, ['\nHuman']);
    expect(golden[3]).toEqual({ queryId: 'dsp-3', prompt: human[3].prompt, golden: human[3].responses[0] });
    expect(() => prepareGolden([{ queryId: 'nope', golden: 'x' }], rmQueries, ['\nHuman'])).toThrow(/Golden answer "nope"/);
  });

  it('builds one golden ≻ sample item per sample, scores [1, 0], kind apo', () => {
    const golden = prepareGolden(goldenRaw, rmQueries, ['\nHuman']);
    const items = buildApoItems(samples, golden.slice(0, 10));
    expect(items).toHaveLength(20); // 10 queries with golden × 2 samples; 2 queries lack golden
    expect(items[0]).toEqual({ id: 'dsp-0', prompt: human[0].prompt, responses: [human[0].responses[0], human[0].responses[1]], scores: [1, 0], kind: 'apo' });
    expect(items[1].responses[1]).toBe('');
    expect(new Set(items.map((i) => i.kind))).toEqual(new Set(['apo']));
  });

  it('lays out a mixed batch for the reward loss: flat responses, padded slots gather the appended 0', () => {
    const three = { ...human[0], responses: [...human[0].responses, 'a third'], scores: [1, 0, 0.5] };
    const layout = layoutRewardBatch([human[1], three, human[2]]);
    expect(layout.k).toBe(3);
    expect(layout.flat).toHaveLength(7);
    expect(Array.from(layout.gather)).toEqual([0, 1, 7, 2, 3, 4, 5, 6, 7]);
    // Rescaled per item to (0, 1) as the reference, then padded with −1.
    expect(layout.scores.map((row) => row.map((v) => Math.round(v * 1e4) / 1e4))).toEqual([[1, 0, -1], [1, 0, 0.5], [1, 0, -1]]);
    expect(layout.flat[4]).toEqual({ prompt: human[0].prompt, response: 'a third' });
  });

  it('scores attach back to the right samples in order', () => {
    const flat = flattenSamples(samples);
    expect(flat).toHaveLength(24);
    const scored = attachScores(samples, Float32Array.from(flat.map((_, i) => i / 8)));
    expect(scored[5].scores).toEqual([10 / 8, 11 / 8]);
    expect(() => attachScores(samples, new Float32Array(3))).toThrow(/3 scores for 24 samples/);
    expect(sampleMetrics('s', samples)['s/empty_frac']).toBe(0.5);
  });
});

describe('reward batch layout', () => {
  it('rescales negative raw scores per item before padding, so they keep their pairs (issue 17 item 13b)', () => {
    const item = (scores: number[]) => ({ prompt: 'p', responses: scores.map((_, i) => `r${i}`), scores });
    const layout = layoutRewardBatch([item([-0.5, -1.2, 0.3]), item([-2, -0.1])]);
    const [a, b] = layout.scores;
    // Real slots are labels in (0, 1), in the raw order; the padded slot alone is −1.
    for (const s of [...a, ...b.slice(0, 2)]) expect(s > 0 && s < 1).toBe(true);
    expect(b[2]).toBe(-1);
    expect(a[2] > a[0] && a[0] > a[1]).toBe(true);
    expect(b[1] > b[0]).toBe(true);
    // Valid ordered pairs as the loss counts them: 6 in the first item, 2 in the second.
    const pairs = layout.scores.reduce((n, row) => n + row.filter((x) => x >= 0).length * (row.filter((x) => x >= 0).length - 1), 0);
    expect(pairs).toBe(8);
  });
});
