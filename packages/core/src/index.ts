// tsyringe needs the Reflect metadata API before it loads; importing the polyfill here means no
// entry point (scripts, tools, plugins) has to remember it first.
import 'reflect-metadata';
export * from './errors';
export * from './atomic-write';
export * from './rng';
export * from './tokens';
export * from './tokens-registry';
export * from './known-plugins';
export * from './disposable';
export * from './validation';
export * from './config';
export * from './plugin';
export * from './plugin-loader';
export * from './run';
export * from './minibatch-training';
export * from './contracts/records';
export * from './contracts/tokenizer';
export * from './contracts/training';
export * from './contracts/sampler';
export * from './contracts/models';
export * from './contracts/losses';
export * from './contracts/game';
export * from './contracts/events';
export * from './contracts/logger';
export * from './text';
export * from './contracts/record-rules';
