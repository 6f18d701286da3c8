import { TOKENS, definePlugin, type ApoPlugin, type PluginFactory, type Token } from '@apogee/core';
import { z } from 'zod';
import { apoGame } from './plugin';
import type { GameOptionsInput } from './options';

/** Options of a variant preset: each part goes to the plugin it names. */
export interface VariantOptions {
  /** `apoGame` options (RM training, checkpoints, …); `apo` is fixed by the variant. */
  game?: Omit<GameOptionsInput, 'apo'>;
  /** Options of the policy update plugin (learning rates, epochs, pairs, …). */
  update?: Record<string, unknown>;
  /** Options of the reward-model loss plugin. */
  rewardLoss?: Record<string, unknown>;
  /** Options of the policy loss plugin. */
  policyLoss?: Record<string, unknown>;
}

export const variantOptionsSchema = z
  .object({
    game: z.record(z.string(), z.unknown()).optional(),
    update: z.record(z.string(), z.unknown()).optional(),
    rewardLoss: z.record(z.string(), z.unknown()).optional(),
    policyLoss: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

type AnyFactory = PluginFactory<never> | ((options?: never) => ApoPlugin);

/** What a variant is made of. */
export interface VariantSpec {
  /** APO (adversarial RM each round) or the RM_Base baseline. */
  apo: boolean;
  /** The policy update plugin factory (`rjsUpdate`, `dpoUpdate`, …). */
  update: AnyFactory;
  /** The reward-model loss plugin factory (`apoRewardLoss`). */
  rewardLoss: AnyFactory;
  /** The policy loss plugin factory the update resolves (`sftLoss`, `dpoLoss`, `rrhfLoss`). */
  policyLoss: AnyFactory;
  /** Plugins applied first with default options (e.g. `sftLoss` for the SFT of π₀). */
  base?: AnyFactory[];
  /** Default options per part, under the user's. */
  defaults?: VariantOptions;
}

function call(factory: AnyFactory, options?: Record<string, unknown>): ApoPlugin {
  return (factory as (o?: Record<string, unknown>) => ApoPlugin)(options);
}

/**
 * A variant preset: one plugin that applies the game (`apo` fixed), the policy update and the
 * losses, in that order. Anything a user lists after it overrides a part (last registration wins).
 * The APO RM loss's `apoSampleNum` follows `game.samplesPerQuery` unless set explicitly.
 */
export function defineVariant(name: string, spec: VariantSpec): PluginFactory<VariantOptions> {
  const merge = (o: VariantOptions) => ({
    game: { ...spec.defaults?.game, ...o.game, apo: spec.apo },
    update: { ...spec.defaults?.update, ...o.update },
    rewardLoss: { ...spec.defaults?.rewardLoss, ...o.rewardLoss },
    policyLoss: { ...spec.defaults?.policyLoss, ...o.policyLoss },
  });
  const provides = [
    ...(spec.base ?? []).flatMap((f) => (f as { provides?: readonly Token<unknown>[] }).provides ?? []),
    TOKENS.GameController,
    TOKENS.PolicyUpdate,
    TOKENS.RewardLoss,
    ...((spec.policyLoss as { provides?: readonly Token<unknown>[] }).provides ?? []),
  ];
  return definePlugin<VariantOptions>(name, {
    provides: [...new Set(provides)],
    defaults: {},
    schema: variantOptionsSchema as never,
    register(container, options) {
      const o = merge(options);
      if (o.rewardLoss.apoSampleNum === undefined && container.isRegistered(TOKENS.Config, true)) {
        o.rewardLoss.apoSampleNum = container.resolve(TOKENS.Config).game.samplesPerQuery;
      }
      // Build every part first so an options error surfaces before anything is registered.
      const plugins = [
        ...(spec.base ?? []).map((f) => call(f)),
        apoGame(o.game),
        call(spec.update, o.update),
        call(spec.rewardLoss, o.rewardLoss),
        call(spec.policyLoss, o.policyLoss),
      ];
      for (const p of plugins) p.register(container);
    },
  });
}
