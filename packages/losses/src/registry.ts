import type { AnyPluginFactory } from '@apogee/core';
import { apoRewardLoss } from './apo-reward-loss';
import { dpoLoss } from './dpo-loss';
import { rankingLoss } from './ranking-loss';
import { rrhfLoss } from './rrhf-loss';
import { sftLoss } from './sft-loss';

/** Loss plugins by config name (`"plugins": [["dpo-loss", { "beta": 0.1 }]]`), for the CLI's built-in registry. */
export const LOSS_PLUGINS: Readonly<Record<string, AnyPluginFactory>> = Object.freeze({
  'ranking-loss': rankingLoss,
  'apo-reward-loss': apoRewardLoss,
  'sft-loss': sftLoss,
  'dpo-loss': dpoLoss,
  'rrhf-loss': rrhfLoss,
});
