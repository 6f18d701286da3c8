import type { ApoPlugin } from '@apogee/core';
import { dpo } from '@apogee/variant-dpo';
import { dpoApo } from '@apogee/variant-dpo-apo';
import { goldenSft } from '@apogee/variant-golden-sft';
import { rjs } from '@apogee/variant-rjs';
import { rjsApo } from '@apogee/variant-rjs-apo';
import { rrhf } from '@apogee/variant-rrhf';
import { rrhfApo } from '@apogee/variant-rrhf-apo';
import type { QuickstartVariant } from './presets';

/** How the quickstart plays one arm (docs/decisions/0064). */
export interface ArmSpec {
  /** The variant preset that plays it. */
  factory: (o?: Record<string, unknown>) => ApoPlugin;
  /** Policy-update family (which `updates` settings of the preset apply). */
  update: 'goldenSft' | 'rjs' | 'dpo' | 'rrhf';
  /** RJS ranking with the world's gold reward instead of a learned RM: the oracle arm. */
  goldRm?: boolean;
  /** Rounds whose RM the same-pair evaluation compares: `all` (APO), `first` (RM_Base), none. */
  keepRms?: 'all' | 'first';
  /** Also train, for the last round, the no-golden control RM and the fresh-labels RM on this arm's data. */
  controlRms?: boolean;
}

export const ARMS: Readonly<Record<QuickstartVariant, ArmSpec>> = {
  oracle: { factory: rjs, update: 'rjs', goldRm: true },
  'golden-sft': { factory: goldenSft, update: 'goldenSft' },
  rjs: { factory: rjs, update: 'rjs', keepRms: 'first' },
  'rjs-apo': { factory: rjsApo, update: 'rjs', keepRms: 'all', controlRms: true },
  dpo: { factory: dpo, update: 'dpo' },
  'dpo-apo': { factory: dpoApo, update: 'dpo', keepRms: 'all' },
  rrhf: { factory: rrhf, update: 'rrhf' },
  'rrhf-apo': { factory: rrhfApo, update: 'rrhf', keepRms: 'all' },
};

/** APO arms and their baselines, as the claims pair them. */
export const APO_PAIRS = [
  { method: 'rjs', apo: 'rjs-apo', baseline: 'rjs' },
  { method: 'dpo', apo: 'dpo-apo', baseline: 'dpo' },
  { method: 'rrhf', apo: 'rrhf-apo', baseline: 'rrhf' },
] as const;
