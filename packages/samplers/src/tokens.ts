import { token } from '@apogee/core';
import type { SamplerOptionsInput } from './options';

/** Options of the `sampler` plugin (the training sampler, `TOKENS.Sampler`). */
export const SAMPLER_OPTIONS = token<SamplerOptionsInput>('@apogee/samplers', 'SamplerOptions');
/** Options of the `eval-sampler` plugin (the test-generation sampler, `TOKENS.EvalSampler`). */
export const EVAL_SAMPLER_OPTIONS = token<SamplerOptionsInput>('@apogee/samplers', 'EvalSamplerOptions');
