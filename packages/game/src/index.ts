export { ApoGameController } from './game-controller';
export { apoGame, gameRequires } from './plugin';
export { PHASE_RUNNERS, type PhaseRunner, type PhaseContext, type GameParts, type GamePlay, type RoundWork } from './phase-runners';
export {
  GAME_OPTIONS,
  gameApo,
  gameOptionsSchema,
  rmTrainingSchema,
  type GameOptions,
  type GameOptionsInput,
  type RmTrainingOptions,
} from './options';
export { phasesFor, nextPhase, isLastPhase, type GamePosition, type RoundPlanInput } from './phases';
export { prepareGolden, layoutRewardBatch, type RewardBatchLayout } from './items';
export {
  CheckpointStore,
  manifestSchema,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  MANIFEST_FILE,
  RUN_FILE,
  roundDir,
  modelDir,
  type CheckpointManifest,
  type CheckpointState,
  type RunInfo,
} from './checkpoint';
export { formatSamples, readSamples, formatApoItems, formatScores, readScores } from './artifacts';
export { trainRewardModel } from './rm-trainer';
export { sftPolicy, type SftPolicyOptions } from './sft-init';
export { defineVariant, variantOptionsSchema, type VariantOptions, type VariantSpec } from './variant';
