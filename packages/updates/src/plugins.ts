import { definePlugin, TOKENS, type PluginFactory, type PolicyUpdate, type Token } from '@apogee/core';
import type { ClassProvider } from 'tsyringe';
import type { z } from 'zod';
import { DpoUpdate } from './dpo-update';
import { GoldenSftUpdate } from './golden-sft-update';
import {
  DPO_UPDATE_OPTIONS,
  GOLDEN_SFT_OPTIONS,
  RJS_OPTIONS,
  RRHF_UPDATE_OPTIONS,
  dpoUpdateOptionsSchema,
  goldenSftOptionsSchema,
  rjsOptionsSchema,
  rrhfUpdateOptionsSchema,
} from './options';
import { RjsUpdate } from './rjs-update';
import { RrhfUpdate } from './rrhf-update';

/**
 * Every update plugin has one shape: validate the options with `schema`, register them under
 * their own token, and register `update` as `TOKENS.PolicyUpdate`.
 */
function updatePlugin<S extends z.ZodType>(
  name: string,
  optionsToken: Token<z.output<S>>,
  schema: S,
  update: ClassProvider<PolicyUpdate>['useClass'],
): PluginFactory<z.input<S>> {
  return definePlugin(name, {
    provides: [TOKENS.PolicyUpdate, optionsToken],
    schema,
    register(container, options) {
      container.register(optionsToken, { useValue: options });
      container.register(TOKENS.PolicyUpdate, { useClass: update });
    },
  });
}

/** `rjsUpdate({ lr, epochs, batchSize })` → `TOKENS.PolicyUpdate` (needs `TOKENS.SftLoss`). */
export const rjsUpdate = updatePlugin('rjs-update', RJS_OPTIONS, rjsOptionsSchema, RjsUpdate);

/** `dpoUpdate({ pairs, reference, lr, … })` → `TOKENS.PolicyUpdate` (needs `TOKENS.PairwisePolicyLoss`). */
export const dpoUpdate = updatePlugin('dpo-update', DPO_UPDATE_OPTIONS, dpoUpdateOptionsSchema, DpoUpdate);

/** `rrhfUpdate({ lr, … })` → `TOKENS.PolicyUpdate` (needs `TOKENS.RankingPolicyLoss`). */
export const rrhfUpdate = updatePlugin('rrhf-update', RRHF_UPDATE_OPTIONS, rrhfUpdateOptionsSchema, RrhfUpdate);

/** `goldenSftUpdate({ lr, … })` → `TOKENS.PolicyUpdate` (needs `TOKENS.SftLoss`; no samples). */
export const goldenSftUpdate = updatePlugin(
  'golden-sft-update',
  GOLDEN_SFT_OPTIONS,
  goldenSftOptionsSchema,
  GoldenSftUpdate,
);
