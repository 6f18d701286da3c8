export * from './plugin-kit';
export * from './helpers';
export * from './tokenizer-kit';
export * from './sampler-kit';
export * from './policy-model-kit';
export * from './loss-kit';
export * from './reward-model-kit';
export * from './policy-update-kit';
