import { APO_STOP_SEQUENCES, type GenerateOptions, type Rng } from '@apogee/core';
import { FusedSampler } from './fused-sampler';
import type { SamplerOptionsInput } from './options';

/** A sampler's settings plus the generation settings the policy's `generate()` handles. */
export interface SamplingPreset {
  /** Token-choice settings (the `sampler` / `eval-sampler` plugin options). */
  readonly sampler: Readonly<SamplerOptionsInput>;
  /** Samples per prompt (`GenerateOptions.n`). */
  readonly n: number;
  /** New-token limit (`GenerateOptions.maxNewTokens`). */
  readonly maxNewTokens: number;
  /** Cut each response at the first of these (`GenerateOptions.stop`). */
  readonly stop: readonly string[];
}

/**
 * The APO reference's training samples (`docs/concepts/apo.md` §6): temperature 1.2,
 * top-p 1.0, 4 samples per prompt, ≤ 256 new tokens, cut at `"\nHuman"`.
 */
export const trainingSampling: SamplingPreset = Object.freeze({
  sampler: Object.freeze({ temperature: 1.2, topP: 1.0 }),
  n: 4,
  maxNewTokens: 256,
  stop: APO_STOP_SEQUENCES,
});

/**
 * The APO reference's test generation (§6): temperature 0.3, top-k 5, top-p 0.85, repetition
 * penalty 1.05, ≤ 512 new tokens, one sample per prompt. apogee also cuts test responses at
 * `"\nHuman"` (docs/decisions/0031).
 */
export const testSampling: SamplingPreset = Object.freeze({
  sampler: Object.freeze({ temperature: 0.3, topK: 5, topP: 0.85, repetitionPenalty: 1.05 }),
  n: 1,
  maxNewTokens: 512,
  stop: APO_STOP_SEQUENCES,
});

/** Presets by name, for config files. */
export const SAMPLING_PRESETS: Readonly<Record<'training' | 'test', SamplingPreset>> = Object.freeze({
  training: trainingSampling,
  test: testSampling,
});

/**
 * `GenerateOptions` for a preset: a fresh {@link FusedSampler} with its settings, `n`,
 * `maxNewTokens` and `stop`, plus the given random stream and any overrides.
 *
 * ```ts
 * const gens = await policy.generate(prompts, generateOptions(trainingSampling, rng.stream('samples')));
 * ```
 */
export function generateOptions(preset: SamplingPreset, rng: Rng, overrides: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    sampler: new FusedSampler(preset.sampler),
    rng,
    n: preset.n,
    maxNewTokens: preset.maxNewTokens,
    stop: [...preset.stop],
    ...overrides,
  };
}
