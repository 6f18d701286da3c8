export * from './plugin-kit';
export * from './helpers';
export * from './tokenizer-kit';
export * from './sampler-kit';
