import type { Sampler, SamplerStep } from '@apogee/core';

/** Greedy decoding: the arg-max of each row (a real `Sampler`, used by the tests). */
export const greedySampler: Sampler = {
  name: 'greedy',
  next({ logits, batch, vocab }: SamplerStep): Int32Array {
    const out = new Int32Array(batch);
    for (let r = 0; r < batch; r++) {
      let best = 0;
      for (let j = 1; j < vocab; j++) if (logits[r * vocab + j] > logits[r * vocab + best]) best = j;
      out[r] = best;
    }
    return out;
  },
};

/** Ancestral sampling at temperature 1 from the step's RNG (a real `Sampler`, used by the tests). */
export const ancestralSampler: Sampler = {
  name: 'ancestral',
  next({ logits, batch, vocab, rng }: SamplerStep): Int32Array {
    const out = new Int32Array(batch);
    for (let r = 0; r < batch; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
      out[r] = rng.categorical(Array.from(row, (x) => Math.exp(x - max)));
    }
    return out;
  },
};
