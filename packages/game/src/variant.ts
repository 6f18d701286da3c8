import { ERROR_CODES, TOKENS, parseWithSchema, type ApoPlugin, type PluginFactory, type Token } from '@apogee/core';
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
 * The APO RM loss's `apoSampleNum` follows `game.samplesPerQuery` unless set explicitly. Every
 * part's options are validated when the preset is created, with the part's own error.
 */
export function defineVariant(name: string, spec: VariantSpec): PluginFactory<VariantOptions> {
  const provides = [
    ...new Set([
      ...(spec.base ?? []).flatMap((f) => (f as { provides?: readonly Token<unknown>[] }).provides ?? []),
      TOKENS.GameController,
      TOKENS.PolicyUpdate,
      TOKENS.RewardLoss,
      ...((spec.policyLoss as { provides?: readonly Token<unknown>[] }).provides ?? []),
    ]),
  ];
  const factory = (options: Partial<VariantOptions> = {}): ApoPlugin => {
    const o = parseWithSchema(variantOptionsSchema, options, {
      code: ERROR_CODES.PLUGIN_OPTIONS_INVALID,
      what: `Options of plugin "${name}"`,
      hint: `A variant takes { game, update, rewardLoss, policyLoss }; see docs/variants/${name}.md.`,
    }) as VariantOptions;
    const parts = {
      game: { ...spec.defaults?.game, ...o.game, apo: spec.apo },
      update: { ...spec.defaults?.update, ...o.update },
      rewardLoss: { ...spec.defaults?.rewardLoss, ...o.rewardLoss },
      policyLoss: { ...spec.defaults?.policyLoss, ...o.policyLoss },
    };
    const build = (samplesPerQuery?: number): ApoPlugin[] => [
      ...(spec.base ?? []).map((f) => call(f)),
      apoGame(parts.game),
      call(spec.update, parts.update),
      call(spec.rewardLoss, parts.rewardLoss.apoSampleNum === undefined && samplesPerQuery !== undefined ? { ...parts.rewardLoss, apoSampleNum: samplesPerQuery } : parts.rewardLoss),
      call(spec.policyLoss, parts.policyLoss),
    ];
    build(); // every part validates its options now, so a bad option fails where the preset is made
    return {
      name,
      provides,
      options: o,
      register(container) {
        const config = container.isRegistered(TOKENS.Config, true) ? container.resolve(TOKENS.Config) : undefined;
        for (const plugin of build(config?.game.samplesPerQuery)) plugin.register(container);
      },
    };
  };
  return Object.assign(factory, { pluginName: name, provides });
}
