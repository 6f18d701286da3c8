import { makeTempDir } from '@apogee/testing';
import { runCustomPipeline } from './custom-pipeline';

it('a custom sampler and a custom RM loss replace the preset\'s, and the game plays through', async () => {
  const tmp = makeTempDir('apogee-custom-');
  const samples: string[] = [];
  const result = await runCustomPipeline(tmp.dir, { onSamples: (e) => void samples.push(...e.samples.flatMap((s) => s.samples)) });
  tmp.cleanup();
  expect(result.metrics).toHaveLength(2);
  expect(samples.length).toBe(2 * (4 + 4) * 2); // rounds × (RM + LLM queries) × samples per query
  expect(samples.filter((s) => /[\n0-9]/.test(s))).toEqual([]); // the custom sampler was used
  for (const m of result.metrics) {
    expect(Number.isFinite(m['rm/margin'])).toBe(true); // the custom loss's metric
    expect(m['rm/accuracy']).toBeUndefined(); // … and not the built-in APO loss's
  }
});
