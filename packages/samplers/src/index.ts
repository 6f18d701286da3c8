export { FusedSampler, ComposableSampler } from './fused-sampler';
export { GreedySampler, TemperatureSampler, TopKSampler, TopPSampler, MinPSampler, RepetitionPenaltySampler } from './basic-samplers';
export { applyRepetitionPenalty, argmax, kthLargest } from './logits-processors';
export { samplerOptionsSchema, resolveSamplerOptions, type SamplerOptions, type SamplerOptionsInput } from './options';
export { trainingSampling, testSampling, SAMPLING_PRESETS, generateOptions, type SamplingPreset } from './presets';
export { sampler, evalSampler, SAMPLER_PLUGINS } from './plugins';
export { SAMPLER_OPTIONS, EVAL_SAMPLER_OPTIONS } from './tokens';
