import * as path from 'node:path';
import {
  ApogeeError,
  buildApoItems,
  createRun,
  ERROR_CODES,
  Rng,
  TOKENS,
  type ApoPlugin,
  type Logger,
  type PolicyModel,
  type RewardFactory,
  type RewardModel,
  type RoundCallback,
  type SampleSet,
  type TrainStepResult,
} from '@apogee/core';
import { prepareGolden, trainRewardModel } from '@apogee/game';
import { ApoRewardLoss } from '@apogee/losses';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { FusedSampler, evalSampler, sampler } from '@apogee/samplers';
import { byteTokenizer } from '@apogee/tokenizers';
import { PreferenceWorld, type WorldGameData } from '@apogee/world';
import { ARMS } from './arms';
import { GoldRewardModel } from './gold-reward-model';
import { evaluateHeldOut, HeldOutEvaluator, type HeldOutRound, type HeldOutSamples } from './held-out-eval';
import type { QuickstartPreset, QuickstartVariant } from './presets';
import { samplePolicy, trainInitialPolicy } from './pretrain';

/**
 * The quickstart's protocol in units a scheduler can run one at a time or side by side: one
 * {@link runPi0Unit} per seed, then one {@link runArmUnit} per (seed, arm) that reads only what the
 * π₀ unit wrote, then {@link analyseSeed} (same-pair RM evaluation, best-of-n; `analysis.ts`).
 */

/** The RNG stream every held-out evaluation of a seed draws from: the game's `eval` stream. */
export function evalRng(seed: number): Rng {
  return Rng.fromSeed(seed).stream('game').stream('eval');
}

/** Where a seed's models go. */
export function seedModelDir(dir: string, seed: number): string {
  return path.join(dir, 'models', `seed-${seed}`);
}

/** What the π₀ unit of a seed produces (π₀ itself is saved under `pi0Dir`). */
export interface Pi0Result {
  seed: number;
  pi0Dir: string;
  metrics: Record<string, number>;
  sftMetrics: Record<string, number>;
  /** π₀'s held-out samples (round 0 of every comparison). */
  heldOut: HeldOutSamples;
  /** `bestOfN` samples of π₀ per held-out prompt (training sampler), with gold. */
  bestOfN: HeldOutSamples;
}

function heldOutBase(world: PreferenceWorld, data: WorldGameData, preset: QuickstartPreset) {
  return {
    world,
    prompts: data.testQueries,
    testItems: data.testItems,
    trainSampler: new FusedSampler(preset.trainSampler),
    testSampler: new FusedSampler(preset.testSampler),
    settings: { samples: preset.heldOut.samples, maxNewTokens: preset.maxNewTokens, batchSize: 64 },
  };
}

/** π₀ on the world's demonstrations, its held-out evaluation (round 0) and its best-of-n pool. */
export async function runPi0Unit(input: {
  seed: number;
  world: PreferenceWorld;
  data: WorldGameData;
  preset: QuickstartPreset;
  dir: string;
  onStep?: (step: TrainStepResult, total: number) => void | Promise<void>;
  signal?: AbortSignal;
}): Promise<Pi0Result> {
  const { seed, world, data, preset } = input;
  const rng = Rng.fromSeed(seed, 'quickstart');
  const { policy, metrics: sftMetrics } = await trainInitialPolicy(world, preset, rng.stream('pi0'), input.onStep ?? (() => undefined), input.signal);
  try {
    const pi0Dir = path.join(seedModelDir(input.dir, seed), 'pi0');
    await policy.save(pi0Dir);
    const { metrics, samples } = await evaluateHeldOut({ ...heldOutBase(world, data, preset), policy, reference: policy, rng: evalRng(seed) });
    const pool = await samplePolicy(policy, data.testQueries, preset, preset.heldOut.bestOfN, rng.stream('best-of-n'));
    const bestOfN: HeldOutSamples = {
      responses: pool.map((s) => s.samples),
      gold: pool.map((s) => s.samples.map((r) => world.goldReward(s.prompt, r))),
    };
    return { seed, pi0Dir, metrics, sftMetrics, heldOut: samples, bestOfN };
  } finally {
    await policy.dispose();
  }
}

/** What one (seed, arm) unit produces; RMs it keeps are saved under `rmDirs`. */
export interface ArmResult {
  seed: number;
  arm: QuickstartVariant;
  /** Every round's metrics: the game's and the held-out evaluation's. */
  metrics: Array<Record<string, number>>;
  /** Every round's held-out samples. */
  heldOut: HeldOutSamples[];
  /**
   * Saved RMs by name: `rm-<round>` (the round's RM); the analysis adds the comparison units'
   * `control-<round>` and `fresh-<round>` to the record of the arm they compare with.
   */
  rmDirs: Record<string, string>;
  /** Arms with `controlRms`: the last round's RM-query samples, which the comparison RMs train on ({@link runComparisonUnit}). */
  comparisonSamples?: { round: number; samples: SampleSet[] };
}

export interface ArmUnitInput {
  seed: number;
  arm: QuickstartVariant;
  world: PreferenceWorld;
  data: WorldGameData;
  preset: QuickstartPreset;
  rounds: number;
  backend: string;
  dir: string;
  pi0Dir: string;
  logger: Logger;
  callbacks: RoundCallback[];
  signal?: AbortSignal;
}

/** The run an arm plays in (its plugins and config); the comparison RMs are trained with the same components. */
function createArmRun(input: Pick<ArmUnitInput, 'seed' | 'arm' | 'preset' | 'rounds' | 'backend' | 'dir' | 'pi0Dir'>) {
  const { seed, preset } = input;
  const spec = ARMS[input.arm];
  const update = preset.updates[spec.update];
  const plugins: ApoPlugin[] = [
    byteTokenizer(),
    gptPolicy({ preset: 'tiny', config: preset.model }),
    gptReward(),
    sampler(preset.trainSampler),
    evalSampler(preset.testSampler),
    spec.factory({
      game: { policyDir: input.pi0Dir, sftInit: { enabled: false }, rm: preset.rm, checkpoint: false },
      update: { lr: update.lr, epochs: update.epochs, batchSize: update.batchSize, schedule: update.schedule },
      rewardLoss: { apoLossCoeff: preset.apoLossCoeff },
    }),
  ];
  return createRun({
    plugins,
    config: { seed, backend: input.backend as never, outDir: input.dir, game: { rounds: input.rounds, samplesPerQuery: preset.samplesPerQuery, maxNewTokens: preset.maxNewTokens } },
  });
}

/** One arm's game from π₀, evaluated every round on the held-out prompts. */
export async function runArmUnit(input: ArmUnitInput): Promise<ArmResult> {
  const { seed, arm, world, data, preset, rounds } = input;
  const spec = ARMS[arm];
  const armDir = path.join(seedModelDir(input.dir, seed), arm);
  const run = await createArmRun(input);
  const rmDirs: Record<string, string> = {};
  const samplesRm = new Map<number, SampleSet[]>();
  try {
    run.container.register(TOKENS.GameDataSource, { useValue: { load: async () => data } });
    if (spec.goldRm) {
      const tokenizer = run.resolve(TOKENS.Tokenizer);
      const gold: RewardFactory = {
        fromPolicy: async () => new GoldRewardModel(world, tokenizer),
        load: async () => new GoldRewardModel(world, tokenizer),
      };
      run.container.register(TOKENS.RewardFactory, { useValue: gold });
    }
    const evaluator = new HeldOutEvaluator(heldOutBase(world, data, preset), async (round, rm) => {
      if (spec.keepRms === 'all' || (spec.keepRms === 'first' && round === 1)) {
        const d = path.join(armDir, `rm-${round}`);
        await rm.save(d);
        rmDirs[`rm-${round}`] = d;
      }
    });
    run.container.register(TOKENS.Evaluator, { useValue: evaluator });
    const capture: RoundCallback = {
      onSamples: (e) => {
        if (e.phase === 'sample-rm') samplesRm.set(e.round, e.samples.map((x) => ({ queryId: x.queryId, prompt: x.prompt, samples: [...x.samples] })));
      },
    };
    for (const cb of [...input.callbacks, capture]) run.container.register(TOKENS.RoundCallback, { useValue: cb });
    run.container.register(TOKENS.Logger, { useValue: input.logger });
    const controller = run.resolve(TOKENS.GameController);
    const result = await controller.run({ signal: input.signal });
    if (result.stopped) throw new ApogeeError(ERROR_CODES.ABORTED, `The quickstart was stopped during ${arm} (seed ${seed}).`);
    const heldOut = evaluator.rounds.map((r: HeldOutRound) => r.samples);
    const out: ArmResult = { seed, arm, metrics: result.metrics, heldOut, rmDirs };
    // The last round only: the claims compare the final RMs (and it keeps the cost per seed down).
    const last = samplesRm.get(rounds);
    if (spec.controlRms && last) out.comparisonSamples = { round: rounds, samples: last };
    return out;
  } finally {
    await run.dispose();
  }
}

/** The RMs an arm with `controlRms` is compared with, one unit each (`trainComparisonRm`). */
export const COMPARISON_RMS = ['control', 'fresh'] as const;
export type ComparisonRm = (typeof COMPARISON_RMS)[number];

/** What a comparison unit produces: one RM, saved. */
export interface ComparisonResult {
  seed: number;
  arm: QuickstartVariant;
  kind: ComparisonRm;
  round: number;
  dir: string;
}

/**
 * One comparison RM of an arm (`control` or `fresh`, see `trainComparisonRm`), trained from π₀
 * on the samples the arm's game drew for its RM queries in the last round. A unit of its own, so
 * a pool trains it beside other units instead of after the arm's game (the arm is the longest).
 */
export async function runComparisonUnit(
  input: Omit<ArmUnitInput, 'logger' | 'callbacks' | 'signal'> & {
    kind: ComparisonRm;
    /** The arm's {@link ArmResult.comparisonSamples}. */
    samples: NonNullable<ArmResult['comparisonSamples']>;
  },
): Promise<ComparisonResult> {
  const { seed, arm, kind } = input;
  const { round, samples } = input.samples;
  const run = await createArmRun(input);
  try {
    const reference = await run.resolve(TOKENS.PolicyFactory).load(input.pi0Dir);
    try {
      const rm = await trainComparisonRm({ kind, round, seed, samples, reference, world: input.world, data: input.data, preset: input.preset, factory: run.resolve(TOKENS.RewardFactory), stop: run.config.game.stop });
      try {
        const dir = path.join(seedModelDir(input.dir, seed), `${arm}-${kind}`, `${kind}-${round}`);
        await rm.save(dir);
        return { seed, arm, kind, round, dir };
      } finally {
        await rm.dispose();
      }
    } finally {
      await reference.dispose();
    }
  } finally {
    await run.dispose();
  }
}

/**
 * The RMs the APO RM of a round is compared with, trained exactly as the game trains it (same
 * init seed, same shuffle stream, same schedule, from π₀) on:
 * - `control`: the same items, the golden-vs-sample ones weighted 0 (`apoLossCoeff` 0): what
 *   retraining on the round's batches does without the golden answers;
 * - `fresh`: the human pairs plus fresh rater labels on pairs of the same policy samples: the
 *   upper bound APO approaches without new labels.
 */
async function trainComparisonRm(input: {
  kind: 'control' | 'fresh';
  round: number;
  seed: number;
  samples: SampleSet[];
  reference: PolicyModel;
  world: PreferenceWorld;
  data: WorldGameData;
  preset: QuickstartPreset;
  factory: RewardFactory;
  stop: readonly string[];
}): Promise<RewardModel> {
  const { kind, round, seed, samples, data, preset } = input;
  // The game's stream of this round's RM phase (ApoGameController: game → r<round>/train-rm).
  const rng = Rng.fromSeed(seed).stream('game').stream(`r${round}/train-rm`);
  const golden = prepareGolden(data.golden, data.rmQueries, input.stop);
  const items =
    kind === 'control'
      ? [...data.humanItems, ...buildApoItems(samples, golden)]
      : [...data.humanItems, ...input.world.labelSamples(samples, preset.freshPairsPerQuery, `fresh-r${round}`)];
  const loss = new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: kind === 'control' ? 0 : preset.apoLossCoeff, apoSampleNum: preset.samplesPerQuery, variant: 'ranking', centeringCoeff: 0 });
  const rm = await input.factory.fromPolicy(input.reference, { seed: rng.stream('init').seed() });
  try {
    const rmOptions = { weightDecay: 0, gradClip: 1, ...preset.rm };
    await trainRewardModel(rm, items, loss, rmOptions, rng.stream('order'), { onStep: async () => undefined, shouldStop: () => false });
    return rm;
  } catch (e) {
    await rm.dispose();
    throw e;
  }
}
