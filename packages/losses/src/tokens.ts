import { token } from '@apogee/core';
import type { ApoRewardLossOptions } from './apo-reward-loss';
import type { DpoLossOptions } from './dpo-loss';
import type { RankingLossOptions } from './ranking-loss';
import type { RrhfLossOptions } from './rrhf-loss';
import type { SftLossOptions } from './sft-loss';

const PKG = '@apogee/losses';
/** Options token of each loss plugin (NestJS `forRoot` style). */
export const RANKING_LOSS_OPTIONS = token<RankingLossOptions>(PKG, 'RankingLossOptions');
export const APO_REWARD_LOSS_OPTIONS = token<ApoRewardLossOptions>(PKG, 'ApoRewardLossOptions');
export const SFT_LOSS_OPTIONS = token<SftLossOptions>(PKG, 'SftLossOptions');
export const DPO_LOSS_OPTIONS = token<DpoLossOptions>(PKG, 'DpoLossOptions');
export const RRHF_LOSS_OPTIONS = token<RrhfLossOptions>(PKG, 'RrhfLossOptions');
