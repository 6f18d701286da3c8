import { ComposableSampler } from './composable-sampler';

/**
 * Single-setting samplers: each is a {@link ComposableSampler} with one filter on, for code that
 * wants one technique by name. Compose several through `ComposableSampler` or the `sampler` plugin.
 */

/** Always the argmax (after no penalty). */
export class GreedySampler extends ComposableSampler {
  constructor() {
    super({ greedy: true });
  }
}

/** `p ∝ exp(z / T)`; T = 0 is greedy. */
export class TemperatureSampler extends ComposableSampler {
  constructor(temperature: number) {
    super({ temperature });
  }
}

/** Sample among the k highest logits (Fan et al. 2018). */
export class TopKSampler extends ComposableSampler {
  constructor(topK: number, temperature = 1) {
    super({ topK, temperature });
  }
}

/** Nucleus sampling (Holtzman et al. 2020). */
export class TopPSampler extends ComposableSampler {
  constructor(topP: number, temperature = 1) {
    super({ topP, temperature });
  }
}

/** Min-p sampling (Nguyen et al. 2024). */
export class MinPSampler extends ComposableSampler {
  constructor(minP: number, temperature = 1) {
    super({ minP, temperature });
  }
}

/** CTRL repetition penalty (Keskar et al. 2019) then sampling at temperature T. */
export class RepetitionPenaltySampler extends ComposableSampler {
  constructor(repetitionPenalty: number, temperature = 1) {
    super({ repetitionPenalty, temperature });
  }
}
