export { AdamWOptimizer, learningRateAt, resolveOptimizerConfig, type OptimizedParam, type ResolvedOptimizerConfig } from './optimizer';
export {
  readCheckpoint,
  writeCheckpoint,
  CHECKPOINT_FILES,
  DEFAULT_MAX_SHARD_BYTES,
  type CheckpointContents,
  type HostTensor,
  type ReadCheckpointOptions,
  type WriteCheckpointInput,
} from './checkpoint';
export { readGenerationConfig, readTokenIds, type GenerationDefaults } from './generation-config';
