import type { Sampler } from '@apogee/core';

/**
 * Arg-max decoding: a real `Sampler` with no options, so model kits and model tests need no
 * sampler package (use `@apogee/samplers` for anything configurable).
 */
export const kitGreedySampler: Sampler = {
  name: 'kit-greedy',
  next({ logits, batch, vocab }) {
    const out = new Int32Array(batch);
    for (let r = 0; r < batch; r++) {
      let best = 0;
      for (let j = 1; j < vocab; j++) if (logits[r * vocab + j] > logits[r * vocab + best]) best = j;
      out[r] = best;
    }
    return out;
  },
};

/** Softmax sampling at temperature 1 from the step's RNG (a real `Sampler`, as {@link kitGreedySampler}). */
export const kitAncestralSampler: Sampler = {
  name: 'kit-ancestral',
  next({ logits, batch, vocab, rng }) {
    const out = new Int32Array(batch);
    for (let r = 0; r < batch; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      let max = -Infinity;
      for (const x of row) max = Math.max(max, x);
      out[r] = rng.categorical(Array.from(row, (x) => Math.exp(x - max)));
    }
    return out;
  },
};
