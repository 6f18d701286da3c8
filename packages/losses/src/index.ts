export { bradleyTerryLoss, normalizeItemScores, type BradleyTerryOptions, type RankingVariant } from './ranking';
export { BradleyTerryLoss, rankingLoss, rankingLossOptionsSchema, type RankingLossOptions } from './ranking-loss';
export { ApoRewardLoss, apoRewardLoss, apoRewardLossOptionsSchema, type ApoRewardLossOptions } from './apo-reward-loss';
export { SftNllLoss, sftLoss, sftNll, sftLossOptionsSchema, type SftLossOptions } from './sft-loss';
export { DpoLoss, dpoLoss, dpoFamilyLoss, dpoLossOptionsSchema, type DpoLossOptions } from './dpo-loss';
export { RrhfLoss, rrhfLoss, rrhf, rrhfLossOptionsSchema, type RrhfLossOptions } from './rrhf-loss';
export { logSigmoid, negLogSigmoid } from './numerics';
export { LOSS_PLUGINS, type LossPluginFactory } from './registry';
export { RANKING_LOSS_OPTIONS, APO_REWARD_LOSS_OPTIONS, SFT_LOSS_OPTIONS, DPO_LOSS_OPTIONS, RRHF_LOSS_OPTIONS } from './tokens';
