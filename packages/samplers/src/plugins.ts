import { definePlugin, TOKENS, type PluginFactory } from '@apogee/core';
import { FusedSampler } from './fused-sampler';
import { samplerOptionsSchema, type SamplerOptionsInput } from './options';
import { testSampling, trainingSampling } from './presets';
import { EVAL_SAMPLER_OPTIONS, SAMPLER_OPTIONS } from './tokens';

/**
 * `sampler(options)`: registers a {@link FusedSampler} as `TOKENS.Sampler`, the sampler of
 * the game's training samples. Defaults: the APO reference training settings (temperature 1.2,
 * top-p 1.0). Options: `temperature`, `topK`, `topP`, `minP`, `repetitionPenalty`, `greedy`
 * (see `samplerOptionsSchema`).
 */
export const sampler = definePlugin<SamplerOptionsInput>('sampler', {
  provides: [TOKENS.Sampler],
  defaults: { ...trainingSampling.sampler },
  schema: samplerOptionsSchema,
  register(container, options) {
    container.register(SAMPLER_OPTIONS, { useValue: options });
    container.register(TOKENS.Sampler, { useClass: FusedSampler });
  },
});

/**
 * `evalSampler(options)`: registers a {@link FusedSampler} as `TOKENS.EvalSampler`, the
 * sampler of test generation. Defaults: the APO reference test settings (temperature 0.3, top-k 5,
 * top-p 0.85, repetition penalty 1.05). Same options as {@link sampler}.
 */
export const evalSampler = definePlugin<SamplerOptionsInput>('eval-sampler', {
  provides: [TOKENS.EvalSampler],
  defaults: { ...testSampling.sampler },
  schema: samplerOptionsSchema,
  register(container, options) {
    container.register(EVAL_SAMPLER_OPTIONS, { useValue: options });
    container.register(TOKENS.EvalSampler, { useFactory: (c) => new FusedSampler(c.resolve(EVAL_SAMPLER_OPTIONS)) });
  },
});

/** Sampler plugins by config name, for the CLI's built-in registry. */
export const SAMPLER_PLUGINS: Readonly<Record<string, PluginFactory<SamplerOptionsInput>>> = Object.freeze({
  sampler,
  'eval-sampler': evalSampler,
});
