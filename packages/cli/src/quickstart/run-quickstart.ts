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
import { ComposableSampler, evalSampler, sampler } from '@apogee/samplers';
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
import { createExecutor, type ExecutorConfig } from '@apogee/executor';
import { describeExecutorConfig } from '../executor/executor-options';
import { METRICS_CSV, METRICS_CSV_HEADER, METRICS_JSONL, MetricsWriter, type ExecutorInfo } from '../metrics/metrics-writer';
import { createProgress, type Progress } from '../progress/progress';
import { writeReport } from '../report/render-report';
import { runCallbacks } from '../run/run-callbacks';
import { QUICKSTART_PRESETS, QUICKSTART_VARIANTS, VARIANT_UPDATE, type QuickstartPreset, type QuickstartVariant } from './presets';
import {
  readUnit,
  runUnit,
  UNIT_FILE,
  UNIT_TASK,
  unitDir,
  unitLabel,
  UNITS_DIR,
  type ArmRecord,
  type Pi0Record,
  type SftEvalRecord,
  type UnitHooks,
  type UnitInput,
  type UnitPlan,
  type UnitRecord,
  type UnitSpec,
} from './units';
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
  /** Extra callbacks for every game (one list per variant × seed; in-process executor only). */
  callbacks?: (tags: { variant: string; seed: number }) => RoundCallback[];
  /** Write report.html at the end. Default true. */
  report?: boolean;
  /** Ctrl-C: stops after the current step (in-process) or abandons the running units (pool); finished units are kept. */
  signal?: AbortSignal;
  /**
   * Where the units (π₀ per seed, each seed × variant, π₀'s evaluation) run: in-process (default),
   * or a local pool (`{ kind: 'local', workers: 'auto' }`), where seeds and variants run in
   * parallel with the same results.
   */
  executor?: ExecutorConfig;
  /** Continue the quickstart in `outDir`, reusing every finished unit (`apogee resume DIR`). */
  resume?: boolean;
}

export type QuickstartEvent =
  | { type: 'start'; seeds: number[]; variants: string[]; preset: string; rounds: number; backend: string; executor: ExecutorInfo }
  | { type: 'pretrain-end'; seed: number; seconds: number; metrics: Record<string, number> }
  | { type: 'variant-end'; seed: number; variant: string; seconds: number; metrics: Record<string, number> }
  | { type: 'done'; seconds: number; summaryFile: string };

/** Wall-clock and CPU seconds of each part of the quickstart (timing.json). */
export interface QuickstartTiming {
  preset: string;
  backend: string;
  rounds: number;
  cores: number;
  /** What ran the units (kind, worker count). */
  executor: ExecutorInfo;
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
  const progress: Progress | undefined = options.io ? createProgress(options.io) : undefined;
  const logger: Logger = progress ? { info: (m) => progress.log(m), warn: (m) => progress.log(`warning: ${m}`), debug: () => undefined } : silentLogger;
  const emit = (e: QuickstartEvent) => options.onEvent?.(e);
  const t0 = Date.now();
  const c0 = process.cpuUsage();

  const backend = await initBackend({ backend: options.backend ?? 'auto', logger });
  const manifest: QuickstartManifest = {
    format: 'apogee-quickstart',
    seeds,
    variants,
    preset: options.preset ?? 'default',
    rounds,
    apoLossCoeff: options.apoLossCoeff ?? null,
    backend: backend.name,
    report: options.report !== false,
  };
  if (options.resume) {
    checkManifest(dir, manifest);
  } else {
    // A fresh quickstart over an old directory starts over: none of its units are reused.
    for (const f of ['metrics.jsonl', 'metrics.csv', 'summary.json', SEED_RUNS_FILE, 'report.html']) fs.rmSync(path.join(dir, f), { force: true });
    for (const d of ['samples', UNITS_DIR, 'models']) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
    await writeJsonAtomic(path.join(dir, QUICKSTART_MANIFEST), manifest);
  }
  const plan: UnitPlan = { dir, presetName, preset, rounds, backend: backend.name };
  const executorConfig: ExecutorConfig = options.executor ?? { kind: 'in-process' };
  const executor = createExecutor(executorConfig);
  const workers = await executor.workers().catch(async (e) => {
    await executor.close();
    throw e;
  });
  const executorInfo = { kind: executor.kind, workers };
  emit({ type: 'start', seeds, variants, preset: presetName, rounds, backend: backend.name, executor: executorInfo });
  if (executor.kind !== 'in-process') logger.info(`Seeds and variants run in parallel on: ${describeExecutorConfig(executorConfig, workers)}.`);
  const reused = listUnits(seeds, variants).filter((u) => readUnit(plan, u) !== undefined).length;
  if (options.resume) logger.info(`Resuming ${dir}: ${reused} finished unit${reused === 1 ? '' : 's'} reused.`);

  const hooks: UnitHooks = { io: options.io, progress, logger, signal: options.signal, callbacks: options.callbacks };
  const stopIfAsked = () => {
    if (options.signal?.aborted) throw new ApogeeError(ERROR_CODES.ABORTED, 'The quickstart was stopped.', { hint: `Continue it with: apogee resume ${dir}` });
  };
  /** A finished unit's record: stored, or run now (in this process, or on the executor's workers). */
  const unitDone = async <R extends UnitRecord>(unit: UnitSpec): Promise<R> => {
    const stored = readUnit<R>(plan, unit);
    if (stored) return stored;
    stopIfAsked();
    const input: UnitInput = { plan, unit, executor: executorInfo };
    if (executor.kind === 'in-process') {
      await runUnit(input, hooks);
    } else {
      await executor.map(UNIT_TASK, [input], { label: `quickstart-${unit.kind}`, signal: options.signal });
      logger.info(`${unitLabel(unit)}: done.`);
    }
    const record = readUnit<R>(plan, unit);
    if (!record) throw new ApogeeError(ERROR_CODES.INTERNAL, `${unitLabel(unit)} finished without writing ${UNIT_FILE}.`);
    if (record.kind === 'pi0') emit({ type: 'pretrain-end', seed: record.seed, seconds: record.seconds, metrics: record.sftMetrics });
    if (record.kind === 'arm') emit({ type: 'variant-end', seed: record.seed, variant: record.variant, seconds: record.seconds, metrics: record.metrics[record.metrics.length - 1] ?? {} });
    return record;
  };
  /** One seed: π₀, then every arm (in parallel on a pool), then π₀'s own evaluation with the first baseline's RM_Base. */
  const playSeed = async (seed: number): Promise<void> => {
    await unitDone<Pi0Record>({ kind: 'pi0', seed });
    const arms: ArmRecord[] = [];
    if (executor.kind === 'in-process') {
      for (const variant of variants) arms.push(await unitDone<ArmRecord>({ kind: 'arm', seed, variant }));
    } else {
      arms.push(...(await Promise.all(variants.map((variant) => unitDone<ArmRecord>({ kind: 'arm', seed, variant })))));
    }
    const baseline = arms.find((a) => a.rmBase);
    if (baseline) await unitDone<SftEvalRecord>({ kind: 'sft-eval', seed, baseline: baseline.variant });
  };

  try {
    if (executor.kind === 'in-process') {
      for (const seed of seeds) await playSeed(seed);
    } else {
      await Promise.all(seeds.map((seed) => playSeed(seed)));
    }
  } catch (e) {
    if (options.signal?.aborted) {
      throw new ApogeeError(ERROR_CODES.ABORTED, 'The quickstart was stopped.', { hint: `Finished seeds and variants are saved; continue with: apogee resume ${dir}`, cause: e });
    }
    throw e;
  } finally {
    progress?.stop();
    await executor.close();
  }

  const assembled = await assemble(plan, seeds, variants, dir);
  const summary = buildSummary(assembled.runs, { backend: backend.name, preset: presetName, variants: [SFT_ROW, ...variants], reliability: assembled.reliability });
  const summaryFile = path.join(dir, 'summary.json');
  await writeJsonAtomic(path.join(dir, SEED_RUNS_FILE), assembled.runs);
  await writeJsonAtomic(summaryFile, summary);
  let reportFile: string | undefined;
  if (options.report !== false) {
    reportFile = await writeReport(dir);
  }
  const timing: QuickstartTiming = {
    preset: presetName,
    backend: backend.name,
    rounds,
    cores: coreCount(),
    executor: executorInfo,
    totalSeconds: (Date.now() - t0) / 1000,
    cpuSeconds: cpuSeconds(c0),
    seeds: assembled.timing,
  };
  await writeJsonAtomic(path.join(dir, 'timing.json'), timing);
  emit({ type: 'done', seconds: timing.totalSeconds, summaryFile });
  return { dir, summary, timing, reportFile };
}

/** `quickstart.json`: the options a quickstart was started with; `apogee resume DIR` reads it. */
export const QUICKSTART_MANIFEST = 'quickstart.json';

export interface QuickstartManifest {
  format: 'apogee-quickstart';
  seeds: number[];
  variants: string[];
  preset: string;
  rounds: number;
  apoLossCoeff: number | null;
  backend: string;
  report: boolean;
}

/** The manifest of a quickstart directory, or undefined when `dir` holds none. */
export function readQuickstartManifest(dir: string): QuickstartManifest | undefined {
  const file = path.join(dir, QUICKSTART_MANIFEST);
  if (!fs.existsSync(file)) return undefined;
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as QuickstartManifest;
    if (m.format === 'apogee-quickstart') return m;
  } catch {
    // fall through
  }
  throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${file} is not a quickstart manifest.`, { hint: 'Start the quickstart again: apogee quickstart --out DIR' });
}

/** Resume with what the quickstart was started with (the backend included: another backend changes the last bits). */
function checkManifest(dir: string, now: QuickstartManifest): void {
  const was = readQuickstartManifest(dir);
  if (!was) {
    throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${dir} is not a quickstart directory (no ${QUICKSTART_MANIFEST}).`, { hint: 'Pass the --out directory of `apogee quickstart`.' });
  }
  const differ = (Object.keys(now) as Array<keyof QuickstartManifest>).filter((k) => k !== 'report' && JSON.stringify(now[k]) !== JSON.stringify(was[k]));
  if (differ.length > 0) {
    throw new ApogeeError(
      ERROR_CODES.CHECKPOINT_INVALID,
      `The quickstart in ${dir} was started with different settings: ${differ.map((k) => `${k} (was ${JSON.stringify(was[k])}, now ${JSON.stringify(now[k])})`).join('; ')}.`,
      { hint: 'apogee resume DIR continues it with its own settings.' },
    );
  }
}

/** Every unit of a quickstart, in the order an in-process run plays them (sft-eval aside: it depends on which arm is a baseline). */
function listUnits(seeds: readonly number[], variants: readonly QuickstartVariant[]): UnitSpec[] {
  return seeds.flatMap((seed) => [{ kind: 'pi0', seed } as UnitSpec, ...variants.map((variant) => ({ kind: 'arm', seed, variant }) as UnitSpec)]);
}

/**
 * Put the finished units together in the canonical order (seeds, then variants, π₀'s row right
 * after the first baseline): seed-runs.json, reliability, samples/, metrics.jsonl and metrics.csv
 * come out the same whatever ran the units, in whatever order, and however often it was stopped.
 */
async function assemble(plan: UnitPlan, seeds: readonly number[], variants: readonly QuickstartVariant[], dir: string) {
  const runs: SeedRun[] = [];
  const samples = new Map<string, string[]>();
  let reliability: QuickstartSummary['reliability'] = {};
  const timing: QuickstartTiming['seeds'] = [];
  const metricFiles: string[] = [];
  const need = <R extends UnitRecord>(unit: UnitSpec): R => {
    const r = readUnit<R>(plan, unit);
    if (!r) throw new ApogeeError(ERROR_CODES.INTERNAL, `${unitLabel(unit)} has no ${UNIT_FILE}.`);
    metricFiles.push(unitDir(dir, unit));
    return r;
  };
  for (const seed of seeds) {
    const pi0 = need<Pi0Record>({ kind: 'pi0', seed });
    const seedRun: SeedRun = { seed, variants: {}, rounds: {} };
    const variantSeconds: Record<string, number> = {};
    let seconds = pi0.seconds;
    let cpu = pi0.cpuSeconds;
    for (const variant of variants) {
      const arm = need<ArmRecord>({ kind: 'arm', seed, variant });
      seedRun.variants[variant] = arm.metrics[arm.metrics.length - 1] ?? {};
      seedRun.rounds[variant] = arm.metrics;
      for (const report of arm.reports) addSamples(samples, variant, report.round, seed, report);
      const final = arm.reports[arm.reports.length - 1];
      if (final) reliability = { ...reliability, [variant]: final.reliability ?? [] };
      if (!seedRun.variants[SFT_ROW] && arm.rmBase) {
        const sft = need<SftEvalRecord>({ kind: 'sft-eval', seed, baseline: variant });
        seedRun.variants[SFT_ROW] = sft.metrics;
        seedRun.rounds[SFT_ROW] = [{ round: 0, ...sft.metrics }];
        addSamples(samples, SFT_ROW, 0, seed, sft.report);
        reliability = { ...reliability, [SFT_ROW]: sft.report.reliability ?? [] };
        seconds += sft.seconds;
        cpu += sft.cpuSeconds;
      }
      variantSeconds[variant] = arm.seconds;
      seconds += arm.seconds;
      cpu += arm.cpuSeconds;
    }
    runs.push(seedRun);
    timing.push({ seed, seconds, cpuSeconds: cpu, pretrainSeconds: pi0.seconds, variants: variantSeconds });
  }
  await writeSamples(dir, samples);
  await concatMetrics(dir, metricFiles);
  return { runs, reliability, timing };
}

/** metrics.jsonl / metrics.csv of the quickstart: every unit's rows, in the canonical unit order. */
async function concatMetrics(dir: string, unitDirs: readonly string[]): Promise<void> {
  const jsonl: string[] = [];
  const csv: string[] = [`${METRICS_CSV_HEADER}\n`];
  for (const u of unitDirs) {
    const j = path.join(u, METRICS_JSONL);
    if (fs.existsSync(j)) jsonl.push(fs.readFileSync(j, 'utf8'));
    const c = path.join(u, METRICS_CSV);
    if (fs.existsSync(c)) csv.push(fs.readFileSync(c, 'utf8').split('\n').slice(1).join('\n'));
  }
  await writeFileAtomic(path.join(dir, METRICS_JSONL), jsonl.join(''));
  await writeFileAtomic(path.join(dir, METRICS_CSV), csv.join(''));
}

export interface PlayInput {
  variant: QuickstartVariant;
  seed: number;
  dir: string;
  /** Where this game's metrics.jsonl / metrics.csv rows go (its unit's directory). */
  metricsDir: string;
  pi0Dir: string;
  data: WorldGameData;
  preset: QuickstartPreset;
  rounds: number;
  backend: string;
  executor?: ExecutorInfo;
  io?: CliIo;
  signal?: AbortSignal;
  callbacks?: QuickstartOptions['callbacks'];
  progress?: Progress;
  logger: Logger;
}

/** One game of one variant from π₀; returns its per-round metrics, report parts and (baselines) a copy of RM_Base. */
export async function playVariant(input: PlayInput): Promise<{ metrics: Array<Record<string, number>>; reports: RoundReport[]; rmBase?: RewardModel }> {
  const { variant, seed, dir, pi0Dir, data, preset, rounds } = input;
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
    const cbs = input.io ? runCallbacks({ dir: input.metricsDir, io: input.io, tags, progress: input.progress }) : undefined;
    const metrics = cbs ? cbs.metrics : new MetricsWriter(input.metricsDir, tags);
    metrics.executor = input.executor;
    const callbacks: RoundCallback[] = cbs ? cbs.callbacks : [metrics];
    for (const cb of [...callbacks, ...(input.callbacks?.(tags) ?? [])]) run.container.register(TOKENS.RoundCallback, { useValue: cb });
    run.container.register(TOKENS.Logger, { useValue: input.logger });
    run.check([TOKENS.GameController, TOKENS.Evaluator]);
    const controller = run.resolve(TOKENS.GameController);
    const result = await controller.run({ signal: input.signal });
    if (result.stopped) throw new ApogeeError(ERROR_CODES.ABORTED, `The quickstart was stopped during ${variant} (seed ${seed}).`);
    const final = result.models;
    const rmBase = final && !final.apo && final.reward ? await final.reward.clone() : undefined;
    return { metrics: result.metrics, reports: result.reports, rmBase };
  } finally {
    await run.dispose();
  }
}

/** π₀ evaluated like every round (same sampler, prompts and settings), with RM_Base as its RM. */
export async function evaluateInitial(
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
    sampler: new ComposableSampler(preset.testSampler),
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


