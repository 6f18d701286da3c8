import { applyPlugin, ERROR_CODES, TOKENS, parseWithSchema, type AnyPluginFactory, type ApoPlugin, type PluginFactory } from '@apogee/core';
import { z } from 'zod';
import { apoGame } from './plugin';
import { gameApo } from './options';
import type { GameOptionsInput } from './options';

/** The options a plugin factory takes (`dpoUpdate` → its schema's input type). */
export type PluginOptionsOf<F> = F extends (options?: infer O) => ApoPlugin ? NonNullable<O> : never;

/** Options of a variant preset: each part goes to the plugin it names, typed by that plugin. */
export interface VariantOptions<U extends AnyPluginFactory = AnyPluginFactory, R extends AnyPluginFactory = AnyPluginFactory, P extends AnyPluginFactory = AnyPluginFactory> {
  /** `apoGame` options (RM training, checkpoints, …); `apo` is fixed by the variant. */
  game?: Omit<GameOptionsInput, 'apo'>;
  /** Options of the policy update plugin (learning rates, epochs, pairs, …). */
  update?: PluginOptionsOf<U>;
  /** Options of the reward-model loss plugin. */
  rewardLoss?: PluginOptionsOf<R>;
  /** Options of the policy loss plugin. */
  policyLoss?: PluginOptionsOf<P>;
}

export const variantOptionsSchema = z
  .object({
    game: z.record(z.string(), z.unknown()).optional(),
    update: z.record(z.string(), z.unknown()).optional(),
    rewardLoss: z.record(z.string(), z.unknown()).optional(),
    policyLoss: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** What a variant is made of. */
export interface VariantSpec<U extends AnyPluginFactory, R extends AnyPluginFactory, P extends AnyPluginFactory> {
  /** APO (adversarial RM each round) or the RM_Base baseline. */
  apo: boolean;
  /** The policy update plugin factory (`rjsUpdate`, `dpoUpdate`, …). */
  update: U;
  /** The reward-model loss plugin factory (`apoRewardLoss`). */
  rewardLoss: R;
  /** The policy loss plugin factory the update resolves (`sftLoss`, `dpoLoss`, `rrhfLoss`). */
  policyLoss: P;
  /** Plugins applied first with default options (e.g. `sftLoss` for the SFT of π₀). */
  base?: AnyPluginFactory[];
  /** Default options per part, under the user's. */
  defaults?: VariantOptions<U, R, P>;
}

/**
 * A variant preset: one plugin that applies the game (`apo` fixed), the policy update and the
 * losses, in that order. The variant owns `apo`: a config whose `game.apo` disagrees is refused,
 * naming the field. Anything a user lists after it overrides a part (last registration wins).
 * The APO RM loss's `apoSampleNum` follows `game.samplesPerQuery` unless set explicitly. Every
 * part's options are validated when the preset is created, with the part's own error.
 */
export function defineVariant<U extends AnyPluginFactory, R extends AnyPluginFactory, P extends AnyPluginFactory>(
  name: string,
  spec: VariantSpec<U, R, P>,
): PluginFactory<VariantOptions<U, R, P>> {
  const provides = [
    ...new Set([
      ...(spec.base ?? []).flatMap((f) => f.provides ?? []),
      TOKENS.GameController,
      TOKENS.PolicyUpdate,
      TOKENS.RewardLoss,
      ...(spec.policyLoss.provides ?? []),
    ]),
  ];
  const factory = (options: VariantOptions<U, R, P> = {}): ApoPlugin => {
    const o = parseWithSchema(variantOptionsSchema, options, {
      code: ERROR_CODES.PLUGIN_OPTIONS_INVALID,
      what: `Options of plugin "${name}"`,
      hint: `A variant takes { game, update, rewardLoss, policyLoss }; see docs/variants/${name}.md.`,
    });
    // Each part is checked by its own plugin's schema below (the types above are for the caller).
    const parts: Record<'game' | 'update' | 'rewardLoss' | 'policyLoss', Record<string, unknown>> = {
      game: { ...spec.defaults?.game, ...o.game, apo: spec.apo },
      update: { ...spec.defaults?.update, ...o.update },
      rewardLoss: { ...spec.defaults?.rewardLoss, ...o.rewardLoss },
      policyLoss: { ...spec.defaults?.policyLoss, ...o.policyLoss },
    };
    const build = (samplesPerQuery?: number): ApoPlugin[] => [
      ...(spec.base ?? []).map((f) => applyPlugin(f)),
      applyPlugin(apoGame, parts.game),
      applyPlugin(spec.update, parts.update),
      applyPlugin(spec.rewardLoss, parts.rewardLoss.apoSampleNum === undefined && samplesPerQuery !== undefined ? { ...parts.rewardLoss, apoSampleNum: samplesPerQuery } : parts.rewardLoss),
      applyPlugin(spec.policyLoss, parts.policyLoss),
    ];
    build(); // every part validates its options now, so a bad option fails where the preset is made
    return {
      name,
      provides,
      options: o,
      register(container) {
        const config = container.isRegistered(TOKENS.Config, true) ? container.resolve(TOKENS.Config) : undefined;
        gameApo(config?.game.apo, spec.apo, `the variant "${name}"`); // the variant owns apo: a disagreeing config is refused
        for (const plugin of build(config?.game.samplesPerQuery)) plugin.register(container);
      },
    };
  };
  return Object.assign(factory, { pluginName: name, provides });
}
