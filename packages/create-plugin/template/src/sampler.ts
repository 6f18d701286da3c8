import { token, type Sampler, type SamplerStep } from '@apogee/core';
import { inject, injectable } from 'tsyringe';

/** Options of the __SHORT__ sampler. */
export interface __CLASS__Options {
  /** Softmax temperature: below 1 sharpens the distribution, above 1 flattens it. */
  temperature: number;
}

/** The options token: the plugin registers its resolved options here (NestJS `forRoot` style). */
export const __CONST__ = token<__CLASS__Options>('__PACKAGE__', 'Options');

/**
 * Samples each row's next token from softmax(logits / temperature), with the run's seeded random
 * stream (`step.rng`), so the same seed gives the same tokens. Replace `next` with your own rule.
 */
@injectable()
export class __CLASS__ implements Sampler {
  readonly name = '__SHORT__';

  // Every constructor parameter names its token: apogee never relies on emitted type metadata.
  constructor(@inject(__CONST__) private readonly options: __CLASS__Options) {}

  next(step: SamplerStep): Int32Array {
    const ids = new Int32Array(step.batch);
    const weights = new Float64Array(step.vocab);
    for (let row = 0; row < step.batch; row++) {
      const logits = step.logits.subarray(row * step.vocab, (row + 1) * step.vocab);
      let max = -Infinity;
      for (const l of logits) if (l > max) max = l;
      for (let v = 0; v < step.vocab; v++) weights[v] = Math.exp((logits[v] - max) / this.options.temperature);
      ids[row] = step.rng.categorical(weights);
    }
    return ids;
  }
}
