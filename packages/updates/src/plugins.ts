import { definePlugin, TOKENS, type PluginFactory } from '@apogee/core';
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
  type DpoUpdateOptions,
  type GoldenSftOptions,
  type RjsOptions,
  type RrhfUpdateOptions,
} from './options';
import { RjsUpdate } from './rjs-update';
import { RrhfUpdate } from './rrhf-update';

/** `rjsUpdate({ lr, epochs, batchSize })` → `TOKENS.PolicyUpdate` (needs `TOKENS.SftLoss`). */
export const rjsUpdate: PluginFactory<z.input<typeof rjsOptionsSchema>> = definePlugin<RjsOptions>('rjs-update', {
  provides: [TOKENS.PolicyUpdate, RJS_OPTIONS],
  defaults: {} as never,
  schema: rjsOptionsSchema as never,
  register(container, options) {
    container.register(RJS_OPTIONS, { useValue: options });
    container.register(TOKENS.PolicyUpdate, { useClass: RjsUpdate });
  },
}) as never;

/** `dpoUpdate({ pairs, reference, lr, … })` → `TOKENS.PolicyUpdate` (needs `TOKENS.PairwisePolicyLoss`). */
export const dpoUpdate: PluginFactory<z.input<typeof dpoUpdateOptionsSchema>> = definePlugin<DpoUpdateOptions>('dpo-update', {
  provides: [TOKENS.PolicyUpdate, DPO_UPDATE_OPTIONS],
  defaults: {} as never,
  schema: dpoUpdateOptionsSchema as never,
  register(container, options) {
    container.register(DPO_UPDATE_OPTIONS, { useValue: options });
    container.register(TOKENS.PolicyUpdate, { useClass: DpoUpdate });
  },
}) as never;

/** `rrhfUpdate({ lr, … })` → `TOKENS.PolicyUpdate` (needs `TOKENS.RankingPolicyLoss`). */
export const rrhfUpdate: PluginFactory<z.input<typeof rrhfUpdateOptionsSchema>> = definePlugin<RrhfUpdateOptions>('rrhf-update', {
  provides: [TOKENS.PolicyUpdate, RRHF_UPDATE_OPTIONS],
  defaults: {} as never,
  schema: rrhfUpdateOptionsSchema as never,
  register(container, options) {
    container.register(RRHF_UPDATE_OPTIONS, { useValue: options });
    container.register(TOKENS.PolicyUpdate, { useClass: RrhfUpdate });
  },
}) as never;

/** `goldenSftUpdate({ lr, … })` → `TOKENS.PolicyUpdate` (needs `TOKENS.SftLoss`; no samples). */
export const goldenSftUpdate: PluginFactory<z.input<typeof goldenSftOptionsSchema>> = definePlugin<GoldenSftOptions>('golden-sft-update', {
  provides: [TOKENS.PolicyUpdate, GOLDEN_SFT_OPTIONS],
  defaults: {} as never,
  schema: goldenSftOptionsSchema as never,
  register(container, options) {
    container.register(GOLDEN_SFT_OPTIONS, { useValue: options });
    container.register(TOKENS.PolicyUpdate, { useClass: GoldenSftUpdate });
  },
}) as never;
