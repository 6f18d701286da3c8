import { definePlugin, token, TOKENS, type GameDataSource, type Judge, type PromptResponse, type Rng, type SampleSet } from '@apogee/core';
import { inject, injectable, Lifecycle } from 'tsyringe';
import { goldReward, type GoldRewardOptions } from './gold-reward';
import { PreferenceWorld, resolveWorldOptions, type WorldGameData, type WorldOptionsInput } from './world';

const PKG = '@apogee/world';

/**
 * Options of {@link worldDataSource}: the world's options (seed optional) plus optional pools of
 * samples to annotate instead of the world's behaviour distribution.
 */
export type WorldDataSourceOptions = WorldOptionsInput & {
  /** π₀ samples for the RM queries: the raters label pairs of these (the paper's set-up). */
  humanSamples?: readonly SampleSet[];
  /** π₀ samples for the test prompts (held-out human pairs). */
  testSamples?: readonly SampleSet[];
};

export const WORLD_DATA_SOURCE_OPTIONS = token<WorldDataSourceOptions>(PKG, 'WorldDataSourceOptions');
/** The run's {@link PreferenceWorld}, registered by {@link worldDataSource}. */
export const WORLD = token<PreferenceWorld>(PKG, 'World');

/**
 * The world as a `GameDataSource`. `load()` returns {@link WorldGameData}: the four core fields
 * plus `testQueries`, `testItems` and `sftDemos` (optional `GameData` fields other sources may lack).
 */
@injectable()
export class WorldDataSource implements GameDataSource {
  private data?: WorldGameData;

  constructor(
    @inject(WORLD) readonly world: PreferenceWorld,
    @inject(WORLD_DATA_SOURCE_OPTIONS) private readonly options: WorldDataSourceOptions,
  ) {}

  async load(): Promise<WorldGameData> {
    this.data ??= this.world.gameData({ humanSamples: this.options.humanSamples, testSamples: this.options.testSamples });
    return this.data;
  }
}

/**
 * Registers the embedded preference world as `TOKENS.GameDataSource` (and the world itself under
 * {@link WORLD}). Without `seed`, the world's seed is drawn from the run's `world` RNG stream.
 * Options are validated when the run is created.
 */
export const worldDataSource = definePlugin<WorldDataSourceOptions>('world-data-source', {
  provides: [TOKENS.GameDataSource, WORLD, WORLD_DATA_SOURCE_OPTIONS],
  defaults: {},
  register: (container, options) => {
    const { humanSamples, testSamples, ...worldInput } = options;
    const rng = container.resolve<Rng>(TOKENS.Rng);
    const seed = worldInput.seed ?? rng.stream('world').nextUint32();
    const resolved = resolveWorldOptions({ ...worldInput, seed }); // throws naming each bad field
    const world = new PreferenceWorld(resolved);
    container.register(WORLD_DATA_SOURCE_OPTIONS, { useValue: { ...resolved, humanSamples, testSamples } });
    container.register(WORLD, { useValue: world });
    container.register(TOKENS.GameDataSource, { useClass: WorldDataSource }, { lifecycle: Lifecycle.ContainerScoped });
  },
});

/** Options of {@link goldJudge}: the gold reward's knobs (defaults as the world's). */
export type GoldJudgeOptions = Partial<GoldRewardOptions>;
export const GOLD_JUDGE_OPTIONS = token<GoldRewardOptions>(PKG, 'GoldJudgeOptions');

/** The world's gold reward r* as a `Judge` (named `gold`). */
@injectable()
export class GoldJudge implements Judge {
  readonly name = 'gold';
  constructor(@inject(GOLD_JUDGE_OPTIONS) private readonly options: GoldRewardOptions) {}

  async score(batch: readonly PromptResponse[]): Promise<Float32Array> {
    return Float32Array.from(batch, (b) => goldReward(b.prompt, b.response, this.options));
  }
}

/** Registers the world's gold reward as `TOKENS.Judge`, for evaluation (`@apogee/eval`). */
export const goldJudge = definePlugin<GoldJudgeOptions>('gold-judge', {
  provides: [TOKENS.Judge, GOLD_JUDGE_OPTIONS],
  defaults: {},
  register: (container, options) => {
    const gold = resolveWorldOptions({ gold: options }).gold;
    container.register(GOLD_JUDGE_OPTIONS, { useValue: gold });
    container.register(TOKENS.Judge, { useClass: GoldJudge }, { lifecycle: Lifecycle.ContainerScoped });
  },
});


