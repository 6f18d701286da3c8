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
  measurePrompts,
  concatMeasurements,
  summarizeEvaluation,
  scoreItems,
  type PromptMeasurements,
  type EvaluatePolicyInput,
  type EvaluationReport,
  type EvaluationSettings,
} from './evaluate-policy';
export { evalShardTask, baselineShardTask, EVAL_TASKS, type EvalShard } from './eval-jobs';
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
export {
  binomialTwoSidedP,
  bootstrapMeanCi,
  quantileSorted,
  signTest,
  type BootstrapOptions,
  type SignTestResult,
} from './paired-stats';
export {
  CLAIMS,
  CLAIM_IDS,
  claimSchema,
  claimsBlockSchema,
  claimStatus,
  pairedClaim,
  pairedDifferences,
  type Claim,
  type ClaimId,
  type ClaimStatus,
  type PairedClaimInput,
  type SeedValue,
} from './claims';
export {
  accuracyTable,
  buildSamePairs,
  compareOnSamePairs,
  gapClosed,
  mcnemarExact,
  pairAccuracy,
  pairCorrectness,
  scoreSamples,
  type BatchScorer,
  type McNemarResult,
  type PooledSample,
  type SamePair,
  type SamePairOptions,
  type SamePairSet,
  type SamePairComparison,
} from './same-pairs';
export {
  bestOfNBlockSchema,
  bestOfNCurve,
  bestOfNExpectedGold,
  bestOfNKl,
  bestOfNRowSchema,
  type BestOfNPoint,
  type BestOfNRow,
} from './best-of-n';
export {
  frontierBlockSchema,
  frontierRowSchema,
  goldAtKl,
  goldDifferenceAtMatchedKl,
  meanFrontier,
  upperEnvelope,
  type FrontierRow,
  type KlGold,
  type MatchedKlDifference,
} from './frontier';
export { claimsMarkdownTable, formatPValue, formatSigned } from './claims-markdown';
