import { ERROR_CODES, parseWithSchema } from '@apogee/core';
import { z } from 'zod';

/**
 * Settings of a {@link FusedSampler}. Every filter is off at its neutral value, so `{}` is
 * plain ancestral sampling from `softmax(logits)`.
 *
 * Processing order per row (Hugging Face `generate()`'s logits-processor order):
 * repetition penalty → (greedy: argmax) → temperature → top-k → top-p → min-p → draw.
 */
export const samplerOptionsSchema = z
  .object({
    /**
     * Softmax temperature T: `p ∝ exp(logit / T)` (Ackley, Hinton & Sejnowski 1985; HF
     * `TemperatureLogitsWarper`). T > 1 flattens, T < 1 sharpens, `T = 0` is greedy decoding.
     * Default 1. APO reference: 1.2 for training samples, 0.3 for test generation.
     */
    temperature: z.number().finite().min(0).default(1),
    /**
     * Top-k (Fan, Lewis & Dauphin 2018, "Hierarchical Neural Story Generation"): keep the k
     * highest logits (ties with the k-th are kept, as HF's `TopKLogitsWarper`). 0 disables.
     * Default 0. APO reference test generation: 5.
     */
    topK: z.number().int().min(0).default(0),
    /**
     * Nucleus sampling (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration",
     * §3.1): keep the smallest set of most likely tokens whose probability sums to ≥ p, i.e. a
     * token survives when the mass of the tokens ranked above it is < p. 1 disables. Default 1.
     * APO reference: 1.0 for training samples, 0.85 for test generation.
     */
    topP: z.number().gt(0).max(1).default(1),
    /**
     * Min-p (Nguyen et al. 2024, "Turning Up the Heat: Min-p Sampling"): drop tokens with
     * `p < minP · max p`. 0 disables. Default 0.
     */
    minP: z.number().min(0).max(1).default(0),
    /**
     * CTRL repetition penalty θ (Keskar et al. 2019, §4.1; HF `RepetitionPenaltyLogitsProcessor`):
     * for every distinct token already in the prompt or the generated ids, a positive logit is
     * divided by θ and a negative one multiplied by θ. 1 disables. Default 1. APO reference test
     * generation: 1.05.
     */
    repetitionPenalty: z.number().finite().positive().default(1),
    /** Always pick the (penalised) argmax; the same as `temperature: 0`. Default false. */
    greedy: z.boolean().default(false),
  })
  .strict();

/** Resolved sampler settings (every field present). */
export type SamplerOptions = z.output<typeof samplerOptionsSchema>;
/** Sampler settings as a user writes them (every field optional). */
export type SamplerOptionsInput = z.input<typeof samplerOptionsSchema>;

/** Validate sampler settings; throws `APOGEE_PLUGIN_OPTIONS_INVALID` naming each bad field. */
export function resolveSamplerOptions(options: SamplerOptionsInput = {}, what = 'Sampler options'): SamplerOptions {
  return parseWithSchema(samplerOptionsSchema, options, {
    code: ERROR_CODES.PLUGIN_OPTIONS_INVALID,
    what,
    hint: 'Allowed: temperature ≥ 0, topK integer ≥ 0 (0 = off), 0 < topP ≤ 1, 0 ≤ minP ≤ 1, repetitionPenalty > 0, greedy boolean.',
  });
}
