import { FusedSampler } from './fused-sampler';

/**
 * Single-setting samplers: each is a {@link FusedSampler} with one filter on, for code that
 * wants one technique by name. Compose several through `FusedSampler` or the `sampler` plugin.
 */

/** Always the argmax (after no penalty). */
export class GreedySampler extends FusedSampler {
  constructor() {
    super({ greedy: true });
  }
}

/** `p ∝ exp(z / T)`; T = 0 is greedy. */
export class TemperatureSampler extends FusedSampler {
  constructor(temperature: number) {
    super({ temperature });
  }
}

/** Sample among the k highest logits (Fan et al. 2018). */
export class TopKSampler extends FusedSampler {
  constructor(topK: number, temperature = 1) {
    super({ topK, temperature });
  }
}

/** Nucleus sampling (Holtzman et al. 2020). */
export class TopPSampler extends FusedSampler {
  constructor(topP: number, temperature = 1) {
    super({ topP, temperature });
  }
}

/** Min-p sampling (Nguyen et al. 2024). */
export class MinPSampler extends FusedSampler {
  constructor(minP: number, temperature = 1) {
    super({ minP, temperature });
  }
}

/** CTRL repetition penalty (Keskar et al. 2019) then sampling at temperature T. */
export class RepetitionPenaltySampler extends FusedSampler {
  constructor(repetitionPenalty: number, temperature = 1) {
    super({ repetitionPenalty, temperature });
  }
}
