import type { Rng } from '@apogee/core';

/**
 * Simulated human raters: a Bradley–Terry choice on the gold reward, the "noisy gold" labeller of
 * AlpacaFarm's simulated annotators and of Gao, Schulman & Hilton (2022)'s synthetic set-up.
 * An optional length bonus (`raterBias`) makes them misspecified: the length preference of real
 * human data (Singhal et al. 2023, "A Long Way to Go: Investigating Length Correlations in RLHF"),
 * used only by a declared secondary arm (docs/decisions/0064).
 *
 * utility(y) = rationality · r*(x, y) + raterBias · min(bytes(y), maxLength) / lengthScale
 * P(a ≻ b)  = σ(utility(a) − utility(b))
 */
export interface AnnotatorOptions {
  /**
   * Inverse temperature of the Bradley–Terry draw on the gold reward. Default 5: with the default
   * gold reward, one courtesy phrase against none (a gap of 0.35) is labelled right 85% of the
   * time, a right against a wrong answer in the same style (0.3) 82%, a gap of 0.1 62%; real
   * raters agree with each other on 63–73% of HH pairs.
   */
  rationality: number;
  /** Weight of the length bonus; 0 (default) gives raters that are noisy gold and nothing else. */
  raterBias: number;
  /** Bytes per unit of length bonus. Default 16. */
  lengthScale: number;
  /** Length beyond which raters stop caring (bytes). Default 48. */
  maxLength: number;
}

export const DEFAULT_ANNOTATOR_OPTIONS: Readonly<AnnotatorOptions> = {
  rationality: 5,
  raterBias: 0,
  lengthScale: 16,
  maxLength: 48,
};

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Bradley–Terry raters over a gold reward, optionally length-biased. */
export class BradleyTerryAnnotator {
  constructor(
    private readonly gold: (prompt: string, response: string) => number,
    readonly options: AnnotatorOptions = DEFAULT_ANNOTATOR_OPTIONS,
  ) {}

  /** The raters' utility of a response. */
  utility(prompt: string, response: string): number {
    const o = this.options;
    const length = Math.min(Buffer.byteLength(response.trim(), 'utf8'), o.maxLength);
    return o.rationality * this.gold(prompt, response) + (o.raterBias * length) / o.lengthScale;
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
