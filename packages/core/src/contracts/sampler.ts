import type { Rng } from '../rng';

/** The state a sampler sees for one decoding step of a batch. */
export interface SamplerStep {
  /** Row-major logits `[batch, vocab]` for the next token. Samplers may modify it in place. */
  logits: Float32Array;
  batch: number;
  vocab: number;
  /** Ids generated so far for each row (for repetition penalties). Prompt ids are in `promptIds`. */
  generated: ReadonlyArray<ReadonlyArray<number>>;
  promptIds: ReadonlyArray<ReadonlyArray<number>>;
  /** The generation's own random stream: same seed, same tokens. */
  rng: Rng;
}

/**
 * Picks the next token of every row of a batch from its logits. `@apogee/samplers` provides
 * temperature, top-k, top-p, min-p, repetition penalty and greedy, composable in one sampler.
 */
export interface Sampler {
  readonly name: string;
  /** One token id per row. */
  next(step: SamplerStep): Int32Array;
}

/** How to generate: everything but the token choice itself. */
export interface GenerateOptions {
  sampler: Sampler;
  rng: Rng;
  /** Samples per prompt. Default 1. */
  n?: number;
  /** Stop after this many new tokens. */
  maxNewTokens: number;
  /**
   * Cut the response at the first occurrence of any of these strings (which is removed). The APO
   * reference cuts at `"\nHuman"`.
   */
  stop?: string[];
  /** Rows decoded together; the model picks a default. */
  batchSize?: number;
  /** Checked between decoding steps. */
  signal?: AbortSignal;
}

/** One generated response. */
export interface Generation {
  /** Decoded response, cut at the first stop sequence, without EOS. */
  text: string;
  /** Generated ids (up to, excluding, EOS or the stop sequence's first id). */
  tokenIds: number[];
  /** Log-prob of each generated id under the *unmodified* model distribution. */
  logProbs: number[];
  finishReason: 'eos' | 'stop' | 'length';
}
