import type { ApoPlugin } from '@apogee/core';
import { apoRewardLoss } from './apo-reward-loss';
import { dpoLoss } from './dpo-loss';
import { rankingLoss } from './ranking-loss';
import { rrhfLoss } from './rrhf-loss';
import { sftLoss } from './sft-loss';

/** A plugin factory as the CLI's registry sees it: options in, plugin out. */
export type LossPluginFactory = ((options?: Record<string, unknown>) => ApoPlugin) & { readonly pluginName: string };

/** Loss plugins by config name (`"plugins": [["dpo-loss", { "beta": 0.1 }]]`), for the CLI's built-in registry. */
export const LOSS_PLUGINS: Readonly<Record<string, LossPluginFactory>> = Object.freeze({
  'ranking-loss': rankingLoss as LossPluginFactory,
  'apo-reward-loss': apoRewardLoss as LossPluginFactory,
  'sft-loss': sftLoss as LossPluginFactory,
  'dpo-loss': dpoLoss as LossPluginFactory,
  'rrhf-loss': rrhfLoss as LossPluginFactory,
});
