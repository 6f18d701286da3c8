import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ApogeeError,
  createRun,
  ERROR_CODES,
  Rng,
  silentLogger,
  TOKENS,
  writeFileAtomic,
  writeJsonAtomic,
  type ApoPlugin,
  type EvaluationReportPart,
  type Logger,
  type PolicyModel,
  type RewardModel,
  type RoundCallback,
  type RoundReport,
} from '@apogee/core';
import { evaluatePolicy, evaluator, reliabilityRows, type EvaluationReport } from '@apogee/eval';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { initBackend } from '@apogee/runtime';
import { FusedSampler, evalSampler, sampler } from '@apogee/samplers';
import { byteTokenizer } from '@apogee/tokenizers';
import { dpo } from '@apogee/variant-dpo';
import { dpoApo } from '@apogee/variant-dpo-apo';
import { goldenSft } from '@apogee/variant-golden-sft';
import { rjs } from '@apogee/variant-rjs';
import { rjsApo } from '@apogee/variant-rjs-apo';
import { rrhf } from '@apogee/variant-rrhf';
import { rrhfApo } from '@apogee/variant-rrhf-apo';
import { goldJudge, PreferenceWorld, type WorldGameData } from '@apogee/world';
import type { CliIo } from '../io';
import { MetricsWriter } from '../metrics/metrics-writer';
import { createProgress, type Progress } from '../progress/progress';
import { writeReport } from '../report/render-report';
import { runCallbacks } from '../run/run-callbacks';
import { QUICKSTART_PRESETS, QUICKSTART_VARIANTS, VARIANT_UPDATE, type QuickstartPreset, type QuickstartVariant } from './presets';
import { samplePolicy, trainInitialPolicy } from './pretrain';
import { buildSummary, SEED_RUNS_FILE, type QuickstartSummary, type SeedRun } from './summary';

/** The variant presets the quickstart plays, by name. */
const VARIANT_FACTORIES: Readonly<Record<QuickstartVariant, (o?: Record<string, unknown>) => ApoPlugin>> = {
  'golden-sft': goldenSft,
  rjs,
  'rjs-apo': rjsApo,
  dpo,
  'dpo-apo': dpoApo,
  rrhf,
  'rrhf-apo': rrhfApo,
};

/** Name of π₀'s row in the summary (the paper's "SFT" row). */
export const SFT_ROW = 'sft';

export interface QuickstartOptions {
  /** Where summary.json, seed-runs.json, metrics.jsonl, samples/, timing.json and report.html go. */
  outDir: string;
  /** One full pass (π₀ + every variant) per seed. Default [1]. */
  seeds?: number[];
  /** `default` (the measured configuration) or `fast` (tests, a first look). Default `default`. */
  preset?: 'fast' | 'default';
  /** Variants to play, a subset of {@link QUICKSTART_VARIANTS}. Default: all seven. */
  variants?: string[];
  /** Rounds of the game. Default: the preset's (3 for `default`). */
  rounds?: number;
  /**
   * Weight of APO's golden-vs-sample items in the RM loss (`apo_loss_coeff`, apo-method.md §3).
   * Default: the preset's, the paper's 0.1. Any other value is recorded in `summary.json`'s
   * `preset` (`default+apoLossCoeff=0`), so such runs are never merged with reference runs.
   */
  apoLossCoeff?: number;
  /** Tensor backend (`auto` picks the fastest). Default `auto`. */
  backend?: 'auto' | 'tensorflow' | 'apogee-cpu' | 'cpu';
  /** Progress and timing events (the CLI prints them). */
  onEvent?: (event: QuickstartEvent) => void;
  /** When given, progress bars/lines go to its stderr (the CLI passes its io). */
  io?: CliIo;
  /** Extra callbacks for every game (one list per variant × seed). */
  callbacks?: (tags: { variant: string; seed: number }) => RoundCallback[];
  /** Write report.html at the end. Default true. */
  report?: boolean;
  signal?: AbortSignal;
}

export type QuickstartEvent =
  | { type: 'start'; seeds: number[]; variants: string[]; preset: string; rounds: number; backend: string }
  | { type: 'pretrain-end'; seed: number; seconds: number; metrics: Record<string, number> }
  | { type: 'variant-end'; seed: number; variant: string; seconds: number; metrics: Record<string, number> }
  | { type: 'done'; seconds: number; summaryFile: string };

/** Wall-clock and CPU seconds of each part of the quickstart (timing.json). */
export interface QuickstartTiming {
  preset: string;
  backend: string;
  rounds: number;
  cores: number;
  totalSeconds: number;
  cpuSeconds: number;
  seeds: Array<{ seed: number; seconds: number; cpuSeconds: number; pretrainSeconds: number; variants: Record<string, number> }>;
}

export interface QuickstartResult {
  dir: string;
  summary: QuickstartSummary;
  timing: QuickstartTiming;
  reportFile?: string;
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

function checkOptions(options: QuickstartOptions): { seeds: number[]; variants: QuickstartVariant[]; preset: QuickstartPreset; presetName: string; rounds: number } {
  const presetName = options.preset ?? 'default';
  const preset = QUICKSTART_PRESETS[presetName as 'fast' | 'default'];
  if (!preset) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Unknown quickstart preset "${presetName}".`, { hint: 'Use --preset fast or --preset default.' });
  }
  const variants = (options.variants ?? [...QUICKSTART_VARIANTS]) as QuickstartVariant[];
  const unknown = variants.filter((v) => !QUICKSTART_VARIANTS.includes(v));
  if (unknown.length > 0 || variants.length === 0) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Unknown quickstart variant${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ') || '(none given)'}.`, {
      hint: `Allowed: ${QUICKSTART_VARIANTS.join(', ')}.`,
    });
  }
  const seeds = options.seeds ?? [1];
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff) || new Set(seeds).size !== seeds.length) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Seeds must be distinct integers in [0, 2^32), got ${JSON.stringify(seeds)}.`, { hint: 'Example: --seeds 1,2,3' });
  }
  const rounds = options.rounds ?? preset.rounds;
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `rounds must be an integer from 1 to 100, got ${rounds}.`);
  }
  const coeff = options.apoLossCoeff;
  if (coeff === undefined || coeff === preset.apoLossCoeff) return { seeds, variants, preset, presetName, rounds };
  if (!Number.isFinite(coeff) || coeff < 0) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `apoLossCoeff must be a number ≥ 0, got ${coeff}.`, { hint: 'The paper uses 0.1 (the default).' });
  }
  return { seeds, variants, preset: { ...preset, apoLossCoeff: coeff }, presetName: `${presetName}+apoLossCoeff=${coeff}`, rounds };
}

/**
 * The quickstart: for each seed, build the world, train π₀ on its demonstrations, have the raters
 * label pairs of π₀'s samples, then play every variant (golden-sft, rjs, rjs-apo, dpo, dpo-apo,
 * rrhf, rrhf-apo) from the same π₀ for `rounds` rounds and evaluate each round with the world's
 * gold reward. Writes `summary.json` (mean and std over seeds), `metrics.jsonl`/`metrics.csv`,
 * `samples/<variant>/round-<r>.jsonl`, `timing.json` and `report.html` into `outDir`.
 */
export async function runQuickstart(options: QuickstartOptions): Promise<QuickstartResult> {
  const { seeds, variants, preset, presetName, rounds } = checkOptions(options);
  const dir = path.resolve(options.outDir);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['metrics.jsonl', 'metrics.csv']) fs.rmSync(path.join(dir, f), { force: true });
  fs.rmSync(path.join(dir, 'samples'), { recursive: true, force: true });
  const progress: Progress | undefined = options.io ? createProgress(options.io) : undefined;
  const logger: Logger = progress ? { info: (m) => progress.log(m), warn: (m) => progress.log(`warning: ${m}`), debug: () => undefined } : silentLogger;
  const emit = (e: QuickstartEvent) => options.onEvent?.(e);
  const t0 = Date.now();
  const c0 = process.cpuUsage();

  const backend = await initBackend({ backend: options.backend ?? 'auto', logger });
  emit({ type: 'start', seeds, variants, preset: presetName, rounds, backend: backend.name });
  const runs: SeedRun[] = [];
  const samples = new Map<string, string[]>();
  const timing: QuickstartTiming = { preset: presetName, backend: backend.name, rounds, cores: coreCount(), totalSeconds: 0, cpuSeconds: 0, seeds: [] };
  let lastReliability: QuickstartSummary['reliability'] = {};

  try {
    for (const seed of seeds) {
      const seedStart = Date.now();
      const seedCpu = process.cpuUsage();
      const rng = Rng.fromSeed(seed, 'quickstart');
      const world = new PreferenceWorld({ ...preset.world, seed });
      const sftWriter = new MetricsWriter(dir, { variant: SFT_ROW, seed });

      // 1. π₀, once per seed, shared by every variant.
      const task = progress?.task(`seed ${seed} · SFT of π₀`, 1);
      const { policy: pi0, metrics: sftMetrics } = await trainInitialPolicy(world, preset, rng.stream('pi0'), (step, total) => {
        sftWriter.write({ event: 'step', round: 0, phase: 'update-policy', step: step.step, metrics: { loss: step.loss, lr: step.lr, gradNorm: step.gradNorm, ...step.metrics } });
        task?.update(step.step, total, { loss: step.loss });
      }, options.signal);
      const pi0Dir = path.join(dir, 'models', `seed-${seed}`, 'pi0');
      let data: WorldGameData;
      try {
        // 2. The raters label pairs of π₀'s own samples (RM queries: D_P; test prompts: held-out pairs).
        const humanSamples = await samplePolicy(pi0, world.rmQueries(), preset, preset.annotationSamples, rng.stream('annotate/rm'));
        const testSamples = await samplePolicy(pi0, world.testQueries(), preset, preset.annotationSamples, rng.stream('annotate/test'));
        data = world.gameData({ humanSamples, testSamples });
        await pi0.save(pi0Dir);
      } catch (e) {
        await pi0.dispose();
        throw e;
      }
      const pretrainSeconds = (Date.now() - seedStart) / 1000;
      task?.finish(`loss ${sftMetrics['sft/loss'].toFixed(3)} in ${pretrainSeconds.toFixed(0)}s`);
      emit({ type: 'pretrain-end', seed, seconds: pretrainSeconds, metrics: sftMetrics });

      const seedRun: SeedRun = { seed, variants: {}, rounds: {} };
      const variantSeconds: Record<string, number> = {};
      try {
        // 3. Every variant from the same π₀ and the same data.
        for (const variant of variants) {
          const vStart = Date.now();
          const { metrics, reports, rmBase } = await playVariant({ variant, seed, dir, pi0Dir, data, preset, rounds, backend: backend.name, options, progress, logger });
          try {
            seedRun.variants[variant] = metrics[metrics.length - 1] ?? {};
            seedRun.rounds[variant] = metrics;
            for (const report of reports) addSamples(samples, variant, report.round, seed, report);
            const final = reports[reports.length - 1];
            if (final) lastReliability = { ...lastReliability, [variant]: final.reliability ?? [] };
            // π₀'s own row ("SFT"), evaluated once per seed with RM_Base as its proxy RM.
            if (!seedRun.variants[SFT_ROW] && rmBase) {
              const report = await evaluateInitial(pi0, rmBase, world, data, preset, seed);
              seedRun.variants[SFT_ROW] = report.metrics;
              seedRun.rounds[SFT_ROW] = [{ round: 0, ...report.metrics }];
              addSamples(samples, SFT_ROW, 0, seed, report);
              lastReliability = { ...lastReliability, [SFT_ROW]: reliabilityRows(report.reliabilityHuman) };
              sftWriter.write({ event: 'round-end', round: 0, metrics: report.metrics });
            }
          } finally {
            await rmBase?.dispose();
          }
          variantSeconds[variant] = (Date.now() - vStart) / 1000;
          emit({ type: 'variant-end', seed, variant, seconds: variantSeconds[variant], metrics: seedRun.variants[variant] });
          await writeSamples(dir, samples);
        }
      } finally {
        await pi0.dispose();
      }
      runs.push(seedRun);
      timing.seeds.push({ seed, seconds: (Date.now() - seedStart) / 1000, cpuSeconds: cpuSeconds(seedCpu), pretrainSeconds, variants: variantSeconds });
      // Write what is done so far: an interrupted multi-seed run keeps its finished seeds.
      timing.totalSeconds = (Date.now() - t0) / 1000;
      timing.cpuSeconds = cpuSeconds(c0);
      await writeJsonAtomic(path.join(dir, 'summary.json'), buildSummary(runs, { backend: backend.name, preset: presetName, variants: [SFT_ROW, ...variants], reliability: lastReliability }));
      await writeJsonAtomic(path.join(dir, 'timing.json'), timing);
      await writeJsonAtomic(path.join(dir, SEED_RUNS_FILE), runs);
    }
  } finally {
    progress?.stop();
  }
  const summary = buildSummary(runs, { backend: backend.name, preset: presetName, variants: [SFT_ROW, ...variants], reliability: lastReliability });
  const summaryFile = path.join(dir, 'summary.json');
  await writeJsonAtomic(summaryFile, summary);
  let reportFile: string | undefined;
  if (options.report !== false) {
    reportFile = await writeReport(dir);
  }
  timing.totalSeconds = (Date.now() - t0) / 1000;
  timing.cpuSeconds = cpuSeconds(c0);
  await writeJsonAtomic(path.join(dir, 'timing.json'), timing);
  emit({ type: 'done', seconds: timing.totalSeconds, summaryFile });
  return { dir, summary, timing, reportFile };
}

interface PlayInput {
  variant: QuickstartVariant;
  seed: number;
  dir: string;
  pi0Dir: string;
  data: WorldGameData;
  preset: QuickstartPreset;
  rounds: number;
  backend: string;
  options: QuickstartOptions;
  progress?: Progress;
  logger: Logger;
}

/** One game of one variant from π₀; returns its per-round metrics, report parts and (baselines) a copy of RM_Base. */
async function playVariant(input: PlayInput): Promise<{ metrics: Array<Record<string, number>>; reports: RoundReport[]; rmBase?: RewardModel }> {
  const { variant, seed, dir, pi0Dir, data, preset, rounds, options } = input;
  const update = preset.updates[VARIANT_UPDATE[variant]];
  const plugins: ApoPlugin[] = [
    byteTokenizer(),
    gptPolicy({ preset: 'tiny', config: preset.model }),
    gptReward(),
    sampler(preset.trainSampler),
    evalSampler(preset.testSampler),
    goldJudge(),
    evaluator({ maxPrompts: preset.eval.maxPrompts, policySamples: preset.eval.policySamples }),
    VARIANT_FACTORIES[variant]({
      game: { policyDir: pi0Dir, sftInit: { enabled: false }, rm: preset.rm, checkpoint: false },
      update: { lr: update.lr, epochs: update.epochs, batchSize: update.batchSize, schedule: update.schedule },
      rewardLoss: { apoLossCoeff: preset.apoLossCoeff },
    }),
  ];
  const run = await createRun({
    plugins,
    config: { seed, backend: input.backend as never, outDir: dir, game: { rounds, samplesPerQuery: preset.samplesPerQuery, maxNewTokens: preset.maxNewTokens } },
  });
  try {
    // The world's data with the raters' labels on π₀'s samples, built once per seed (the same for every variant).
    run.container.register(TOKENS.GameDataSource, { useValue: { load: async () => data } });
    const tags = { variant, seed };
    const cbs = options.io ? runCallbacks({ dir, io: options.io, tags, progress: input.progress }) : undefined;
    const callbacks: RoundCallback[] = cbs ? cbs.callbacks : [new MetricsWriter(dir, tags)];
    for (const cb of [...callbacks, ...(options.callbacks?.(tags) ?? [])]) run.container.register(TOKENS.RoundCallback, { useValue: cb });
    run.container.register(TOKENS.Logger, { useValue: input.logger });
    run.check([TOKENS.GameController, TOKENS.Evaluator]);
    const controller = run.resolve(TOKENS.GameController);
    const result = await controller.run({ signal: options.signal });
    if (result.stopped) throw new ApogeeError(ERROR_CODES.ABORTED, `The quickstart was stopped during ${variant} (seed ${seed}).`);
    const final = result.models;
    const rmBase = final && !final.apo && final.reward ? await final.reward.clone() : undefined;
    return { metrics: result.metrics, reports: result.reports, rmBase };
  } finally {
    await run.dispose();
  }
}

/** π₀ evaluated like every round (same sampler, prompts and settings), with RM_Base as its RM. */
async function evaluateInitial(
  pi0: PolicyModel,
  rmBase: RewardModel,
  world: PreferenceWorld,
  data: WorldGameData,
  preset: QuickstartPreset,
  seed: number,
): Promise<EvaluationReport> {
  const judge = { name: 'gold', score: async (b: readonly { prompt: string; response: string }[]) => Float32Array.from(b, (x) => world.goldReward(x.prompt, x.response)) };
  const prompts = preset.eval.maxPrompts > 0 ? data.testQueries.slice(0, preset.eval.maxPrompts) : data.testQueries;
  const report = await evaluatePolicy({
    policy: pi0,
    reference: pi0,
    reward: rmBase,
    judge,
    prompts,
    humanItems: data.testItems,
    sampler: new FusedSampler(preset.testSampler),
    rng: Rng.fromSeed(seed, 'quickstart').stream('eval-pi0'),
    settings: { maxNewTokens: preset.maxNewTokens, policySamples: preset.eval.policySamples },
  });
  report.metrics.winRateVsSft = 0.5; // π₀ against itself
  return report;
}

function addSamples(samples: Map<string, string[]>, variant: string, round: number, seed: number, report: EvaluationReportPart): void {
  const key = `${variant}/round-${round}.jsonl`;
  const lines = samples.get(key) ?? [];
  for (const s of report.samples ?? []) lines.push(JSON.stringify({ ...s, seed }));
  samples.set(key, lines);
}

async function writeSamples(dir: string, samples: Map<string, string[]>): Promise<void> {
  for (const [key, lines] of samples) await writeFileAtomic(path.join(dir, 'samples', key), `${lines.join('\n')}\n`);
}

function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}


