// The README's usage example, verbatim in substance: it must keep working.
import { Rng } from '@apogee/core';
import { FusedSampler, testSampling, generateOptions, trainingSampling } from './src';

it('README example runs', () => {
  const s = new FusedSampler(testSampling.sampler);
  const logits = Float32Array.from([2, 1, 0.5, -1, 3, 0]);
  const ids = s.next({ logits, batch: 2, vocab: 3, rng: Rng.fromSeed(7), promptIds: [[0], [2]], generated: [[], []] });
  const options = generateOptions(trainingSampling, Rng.fromSeed(7).stream('samples'));
  // Top-k 5 over 3 tokens keeps all; T 0.3 makes the argmax (after the penalty) most likely.
  expect(ids.length).toBe(2);
  expect([...ids].every((id) => id >= 0 && id < 3)).toBe(true);
  expect(options.n).toBe(4);
  expect(options.stop).toEqual(['\nHuman']);
  const again = new FusedSampler(testSampling.sampler).next({ logits: Float32Array.from([2, 1, 0.5, -1, 3, 0]), batch: 2, vocab: 3, rng: Rng.fromSeed(7), promptIds: [[0], [2]], generated: [[], []] });
  expect(Array.from(again)).toEqual(Array.from(ids));
});
