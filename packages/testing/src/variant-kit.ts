import { createRun, pluginShapeProblems, token, TOKENS, type ApoPlugin } from '@apogee/core';
import { describePlugin } from './plugin-kit';

/**
 * The game options a variant preset registers (`GAME_OPTIONS` of @apogee/game). The kit names the
 * token by its key rather than importing @apogee/game, so this package depends on core only.
 */
const GAME_OPTIONS = token<{ apo: boolean; rm: { lr: number; batchSize: number } }>('@apogee/game', 'GameOptions');

/** A variant preset: a plugin factory of `{ game, update, rewardLoss, policyLoss }` options (`defineVariant`). */
export type VariantPreset = ((options?: never) => ApoPlugin) & { readonly pluginName: string };

export interface VariantKitOptions {
  /** APO (the RM retrained every round on golden-vs-sample items) or the RM_Base baseline. */
  apo: boolean;
  /** Name of the `PolicyUpdate` the preset registers (`rjs`, `dpo`, `rrhf`, `golden-sft`, or your own). */
  update: string;
  /** The package's default export: must be `preset` itself (so config can name the package). */
  defaultExport: unknown;
  /**
   * Plugins that provide the game's other parts (tokenizer, policy, reward model, sampler, data
   * source): the game controller is given its parts, so resolving it needs them.
   */
  dependencies?: () => ApoPlugin[];
}

/**
 * The conformance kit of variant presets, first- or third-party (a preset built with
 * `defineVariant` from @apogee/game):
 *
 * ```ts
 * import { describeVariant } from '@apogee/testing';
 * import preset, { myVariant } from './index';
 * describeVariant('my-variant', myVariant, { defaultExport: preset, apo: true, update: 'rjs', dependencies: () => [myTokenizer(), myPolicy(), myReward(), mySampler(), myData()] });
 * ```
 *
 * It runs `describePlugin`, then checks the preset is the module's default export, plays APO or
 * the baseline with its update, passes each part's options to that part's plugin, keeps unset
 * fields at their defaults, sets `apoSampleNum` from `samplesPerQuery`, and rejects unknown or bad
 * options naming them.
 */
export function describeVariant(name: string, preset: VariantPreset, o: VariantKitOptions): void {
  const make = preset as unknown as (options?: Record<string, unknown>) => ApoPlugin;
  describePlugin(name, (options) => make(options), { dependencies: o.dependencies });

  describe(`the ${name} preset`, () => {
    it(`is the default export, a plugin factory named "${name}"`, () => {
      expect(o.defaultExport).toBe(preset);
      expect(preset.pluginName).toBe(name);
      expect(pluginShapeProblems(make())).toEqual([]);
    });

    it(`plays ${o.apo ? 'APO' : 'the baseline'} with the ${o.update} update; options reach their plugins; apoSampleNum follows samplesPerQuery`, async () => {
      const run = await createRun({
        plugins: [make({ game: { rm: { lr: 0.5 } }, update: { lr: [0.1, 0.2] } })],
        config: { game: { samplesPerQuery: 3 } },
      });
      const options = run.resolve(GAME_OPTIONS);
      expect(options.apo).toBe(o.apo);
      expect(options.rm.lr).toBe(0.5);
      expect(options.rm.batchSize).toBe(64); // unset fields keep their defaults
      const update = run.resolve(TOKENS.PolicyUpdate) as unknown as { name: string; options: { lr: unknown } };
      expect(update.name).toBe(o.update);
      expect(update.options.lr).toEqual([0.1, 0.2]);
      expect((run.resolve(TOKENS.RewardLoss) as unknown as { options: { apoSampleNum: number } }).options.apoSampleNum).toBe(3);
      await run.dispose();
    });

    it(`owns apo: a config whose game.apo says ${!o.apo} is refused, naming the field and the variant; one that agrees runs`, async () => {
      const error = await createRun({ plugins: [make()], config: { game: { apo: !o.apo } } }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'APOGEE_CONFIG_INVALID', message: expect.stringContaining(`the variant "${name}"`), problems: [expect.objectContaining({ path: 'game.apo' })] });
      const run = await createRun({ plugins: [make()], config: { game: { apo: o.apo } } });
      expect(run.resolve(GAME_OPTIONS).apo).toBe(o.apo);
      await run.dispose();
    });

    it('rejects an unknown part of its options, naming it', () => {
      expect(() => make({ sampler: {} })).toThrow(expect.objectContaining({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID' }));
      expect(() => make({ update: { lr: -1 } })).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'lr' })] }));
    });
  });
}
