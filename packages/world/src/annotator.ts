import type { Rng } from '@apogee/core';

/**
 * Simulated human raters: a Bradley–Terry choice on a utility that is the gold reward plus a
 * length bonus. Human raters (and RMs trained on their labels) are known to favour longer answers
 * (Singhal et al. 2023, "A Long Way to Go: Investigating Length Correlations in RLHF"); this is
 * that bias, made explicit and measurable.
 *
 * utility(y) = rationality · r*(x, y) + lengthBias · min(bytes(y), maxLength) / lengthScale
 * P(a ≻ b)  = σ(utility(a) − utility(b))
 */
export interface AnnotatorOptions {
  /** Inverse temperature of the Bradley–Terry draw on the gold reward. Default 4. */
  rationality: number;
  /** Weight of the length bonus; 0 gives unbiased raters. Default 2. */
  lengthBias: number;
  /** Bytes per unit of length bonus. Default 16. */
  lengthScale: number;
  /** Length beyond which raters stop caring (bytes). Default 48. */
  maxLength: number;
}

export const DEFAULT_ANNOTATOR_OPTIONS: Readonly<AnnotatorOptions> = {
  rationality: 4,
  lengthBias: 2,
  lengthScale: 16,
  maxLength: 48,
};

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Length-biased Bradley–Terry raters over a gold reward. */
export class BradleyTerryAnnotator {
  constructor(
    private readonly gold: (prompt: string, response: string) => number,
    readonly options: AnnotatorOptions = DEFAULT_ANNOTATOR_OPTIONS,
  ) {}

  /** The raters' utility of a response. */
  utility(prompt: string, response: string): number {
    const o = this.options;
    const length = Math.min(Buffer.byteLength(response.trim(), 'utf8'), o.maxLength);
    return o.rationality * this.gold(prompt, response) + (o.lengthBias * length) / o.lengthScale;
  }

  /** P(a ≻ b) under the raters' model. */
  preferProbability(prompt: string, a: string, b: string): number {
    return sigmoid(this.utility(prompt, a) - this.utility(prompt, b));
  }

  /** One rater's draw: true when `a` is preferred to `b`. */
  prefersFirst(prompt: string, a: string, b: string, rng: Rng): boolean {
    return rng.float() < this.preferProbability(prompt, a, b);
  }
}
