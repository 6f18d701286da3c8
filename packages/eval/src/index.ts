export {
  mean,
  std,
  sigmoid,
  orderedPairs,
  preferenceAccuracy,
  calibration,
  winRate,
  sampledKl,
  reliabilityRows,
  type ScoredItem,
  type PairPrediction,
  type ReliabilityBin,
  type Calibration,
} from './metrics';
export {
  AncestralSampler,
  DEFAULT_EVALUATION_SETTINGS,
  evaluatePolicy,
  generateAndJudge,
  type EvaluatePolicyInput,
  type EvaluationReport,
  type EvaluationSettings,
} from './evaluate-policy';
export {
  EVALUATOR_OPTIONS,
  LoadedRewardModelJudge,
  PolicyEvaluator,
  REWARD_MODEL_JUDGE_OPTIONS,
  RewardModelJudge,
  evaluator,
  evaluatorOptionsSchema,
  rewardModelJudgeOptionsSchema,
  rewardModelJudge,
  type EvaluatorOptions,
  type RewardModelJudgeOptions,
  type RoundEvaluation,
} from './plugins';

/** Re-exported from `@apogee/core`, where the `Evaluator` contract's report part lives. */
export type { EvaluatedSample } from '@apogee/core';
