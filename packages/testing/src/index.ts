export * from './plugin-kit';
export * from './helpers';
