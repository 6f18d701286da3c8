import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ApogeeError,
  ERROR_CODES,
  silentLogger,
  writeFileAtomic,
  writeJsonAtomic,
  type Logger,
  type PromptRecord,
  type RoundCallback,
} from '@apogee/core';
import { initBackend } from '@apogee/runtime';
import { PreferenceWorld } from '@apogee/world';
import type { CliIo } from '../io';
import { createExecutor, type ExecutorConfig } from '@apogee/executor';
import { describeExecutorConfig } from '../executor/executor-options';
import { METRICS_CSV, METRICS_CSV_HEADER, METRICS_JSONL, type ExecutorInfo } from '../metrics/metrics-writer';
import { createProgress, type Progress } from '../progress/progress';
import { writeReport } from '../report/render-report';
import { claimOutDir } from '../run/run-dir';
import { ARMS } from './arms';
import type { HeldOutSamples } from './held-out-eval';
import { QUICKSTART_PRESETS, QUICKSTART_VARIANTS, type QuickstartPreset, type QuickstartVariant } from './presets';
import { COMPARISON_RMS } from './protocol';
import { PrioritySlots } from './schedule';
import {
  inProcessScoring,
  readUnit,
  runAnalysisUnit,
  runUnit,
  SCORE_TASK,
  UNIT_FILE,
  UNIT_TASK,
  unitCost,
  WARM_TASK,
  unitDir,
  unitLabel,
  UNITS_DIR,
  type AnalysisRecord,
  type ArmRecord,
  type CompareRecord,
  type Pi0Record,
  type ScoreJobInput,
  type ScoreJobOutput,
  type UnitHooks,
  type UnitInput,
  type UnitPlan,
  type UnitRecord,
  type UnitSpec,
  type WorkerUnitSpec,
} from './units';
import { buildSummary, SEED_RUNS_FILE, type QuickstartSummary, type SeedRun } from './summary';

/** Name of π₀'s row in the summary (the paper's "SFT" row). */
export const SFT_ROW = 'sft';

export interface QuickstartOptions {
  /** Where summary.json, seed-runs.json, metrics.jsonl, samples/, timing.json and report.html go. */
  outDir: string;
  /** One full pass (π₀ + every variant) per seed. Default [1]. */
  seeds?: number[];
  /** `default` (the measured configuration) or `fast` (tests, a first look). Default `default`. */
  preset?: 'fast' | 'default';
  /** Variants to play, a subset of {@link QUICKSTART_VARIANTS}. Default: the preset's arms. */
  variants?: string[];
  /** Rounds of the game. Default: the preset's (3 for `default`). */
  rounds?: number;
  /**
   * Weight of APO's golden-vs-sample items in the RM loss (`apo_loss_coeff`, docs/concepts/apo.md §3).
   * Default: the preset's, the paper's 0.1. Any other value is recorded in `summary.json`'s
   * `preset` (`default+apoLossCoeff=0`), so such runs are never merged with reference runs.
   */
  apoLossCoeff?: number;
  /**
   * Length bonus of the world's raters (`annotator.raterBias`). Default: the preset's world (0,
   * noisy-gold raters). Any other value is the declared secondary "misspecified raters" arm,
   * recorded in `summary.json`'s `preset` (`default+raterBias=2`) and judged by gold only.
   */
  raterBias?: number;
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
   * Where the units (π₀ per seed, each seed × arm) run: in-process (default), or a local pool
   * (`{ kind: 'local', workers: 'auto' }`), where seeds and arms run in parallel with the same results.
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
  /** What ran the units (kind, worker count); absent in merged timings. */
  executor?: ExecutorInfo;
  totalSeconds: number;
  cpuSeconds: number;
  /**
   * Per seed, work seconds (not wall): π₀ (`pretrainSeconds`), each arm with its comparison RMs
   * (`variants`), the analysis's scoring and arithmetic (`analysisSeconds`), and their sum.
   */
  seeds: Array<{ seed: number; seconds: number; cpuSeconds: number; pretrainSeconds: number; variants: Record<string, number>; analysisSeconds?: number }>;
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
  const variants = (options.variants ?? [...preset.variants]) as QuickstartVariant[];
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
  let chosen = preset;
  let name: string = presetName;
  const coeff = options.apoLossCoeff;
  if (coeff !== undefined && coeff !== preset.apoLossCoeff) {
    if (!Number.isFinite(coeff) || coeff < 0) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `apoLossCoeff must be a number ≥ 0, got ${coeff}.`, { hint: 'The paper uses 0.1 (the default).' });
    }
    chosen = { ...chosen, apoLossCoeff: coeff };
    name = `${name}+apoLossCoeff=${coeff}`;
  }
  const bias = options.raterBias;
  if (bias !== undefined && bias !== (preset.world.annotator?.raterBias ?? 0)) {
    if (!Number.isFinite(bias) || bias < 0) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `raterBias must be a number ≥ 0, got ${bias}.`, { hint: '0 (the default) gives noisy-gold raters; 2 is the misspecified-raters arm of docs/decisions/0064.' });
    }
    chosen = { ...chosen, world: { ...chosen.world, annotator: { ...chosen.world.annotator, raterBias: bias } } };
    name = `${name}+raterBias=${bias}`;
  }
  return { seeds, variants, preset: chosen, presetName: name, rounds };
}

/**
 * The quickstart: for each seed, build the world, train π₀ on its demonstrations, then play every
 * arm (the oracle and the paper's variants) from the same π₀ for `rounds` rounds, evaluate each
 * round on the held-out prompts, and compare the seeds' RMs on shared pairs. Writes `summary.json`
 * (claims, mean and std over seeds), `seed-runs.json`, `metrics.jsonl`/`metrics.csv`,
 * `samples/<variant>/round-<r>.jsonl`, `timing.json` and `report.html` into `outDir`.
 * Four steps: claim (or resume) the folder, run the units, assemble the seeds, write the results.
 */
export async function runQuickstart(options: QuickstartOptions): Promise<QuickstartResult> {
  const checked = checkOptions(options);
  const { seeds, variants, preset, presetName, rounds } = checked;
  const dir = path.resolve(options.outDir);
  fs.mkdirSync(dir, { recursive: true });
  const progress: Progress | undefined = options.io ? createProgress(options.io) : undefined;
  const logger: Logger = progress ? { info: (m) => progress.log(m), warn: (m) => progress.log(`warning: ${m}`), debug: () => undefined } : silentLogger;
  const emit = (e: QuickstartEvent) => options.onEvent?.(e);
  const t0 = Date.now();
  const c0 = process.cpuUsage();

  const backend = await initBackend({ backend: options.backend ?? 'auto', logger });
  await prepareDir(dir, options, checked, backend.name);
  const plan: UnitPlan = { dir, presetName, preset, rounds, backend: backend.name };
  const executorInfo = await runUnits(plan, options, checked, { progress, logger, emit });

  const assembled = await assembleSeeds(plan, seeds, variants);
  await writeSamples(dir, assembled.samples);
  await concatMetrics(dir, assembled.metricDirs);
  await writeJsonAtomic(path.join(dir, SEED_RUNS_FILE), assembled.runs);
  const summary = buildSummary(assembled.runs, { backend: backend.name, preset: presetName, variants: [SFT_ROW, ...variants] });
  const summaryFile = path.join(dir, 'summary.json');
  await writeJsonAtomic(summaryFile, summary);
  const reportFile = options.report !== false ? await writeReport(dir) : undefined;
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

/** Step 1: check the manifest of a resumed quickstart, or claim a new folder and write its manifest. */
async function prepareDir(dir: string, options: QuickstartOptions, checked: ReturnType<typeof checkOptions>, backend: string): Promise<void> {
  const manifest: QuickstartManifest = {
    format: 'apogee-quickstart',
    seeds: checked.seeds,
    variants: checked.variants,
    preset: options.preset ?? 'default',
    rounds: checked.rounds,
    apoLossCoeff: options.apoLossCoeff ?? null,
    raterBias: options.raterBias ?? null,
    backend,
    report: options.report !== false,
  };
  if (options.resume) {
    checkManifest(dir, manifest);
    return;
  }
  // Only a new or empty folder, or one apogee made, is taken (never the user's own files); a fresh
  // quickstart over an old apogee directory starts over: none of its units are reused.
  claimOutDir(dir, 'quickstart', options.outDir);
  for (const f of ['metrics.jsonl', 'metrics.csv', 'summary.json', SEED_RUNS_FILE, 'report.html']) fs.rmSync(path.join(dir, f), { force: true });
  for (const d of ['samples', UNITS_DIR, 'models']) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
  await writeJsonAtomic(path.join(dir, QUICKSTART_MANIFEST), manifest);
}

/**
 * Step 2: every unit, stored or run now, in this process or side by side on the executor's
 * workers: per seed π₀, then its arms, then rjs-apo's comparison RMs, then the seed's analysis
 * (whose scoring jobs also go to the workers). On a pool, each unit waits only for what it reads,
 * and the longest chains of work start first (`unitCost`, `PrioritySlots`). Returns what ran them.
 */
async function runUnits(
  plan: UnitPlan,
  options: QuickstartOptions,
  checked: ReturnType<typeof checkOptions>,
  out: { progress?: Progress; logger: Logger; emit: (e: QuickstartEvent) => void },
): Promise<ExecutorInfo> {
  const { seeds, variants, presetName, rounds } = checked;
  const { progress, logger, emit } = out;
  const executorConfig: ExecutorConfig = options.executor ?? { kind: 'in-process' };
  const executor = createExecutor(executorConfig);
  const workers = await executor.workers().catch(async (e) => {
    await executor.close();
    throw e;
  });
  const executorInfo: ExecutorInfo = { kind: executor.kind, workers };
  emit({ type: 'start', seeds, variants, preset: presetName, rounds, backend: plan.backend, executor: executorInfo });
  const remote = executor.kind !== 'in-process';
  if (remote) logger.info(`Seeds, arms and analyses run in parallel on: ${describeExecutorConfig(executorConfig, workers)}.`);
  if (options.resume) {
    const all: UnitSpec[] = seeds.flatMap((seed) => [
      { kind: 'pi0', seed } as UnitSpec,
      ...variants.map((variant) => ({ kind: 'arm', seed, variant }) as UnitSpec),
      ...variants.filter((v) => ARMS[v].controlRms).flatMap((variant) => COMPARISON_RMS.map((rm) => ({ kind: 'compare', seed, variant, rm }) as UnitSpec)),
      { kind: 'analysis', seed, variants: [...variants] } as UnitSpec,
    ]);
    const reused = all.filter((u) => readUnit(plan, u) !== undefined).length;
    logger.info(`Resuming ${plan.dir}: ${reused} finished unit${reused === 1 ? '' : 's'} reused.`);
  }

  // In this process: one at a time, in the canonical order (priority 0 for all: first come, first served).
  const slots = new PrioritySlots(remote ? workers : 1);
  const hooks: UnitHooks = { io: options.io, progress, logger, signal: options.signal, callbacks: options.callbacks };
  const aborted = () => new ApogeeError(ERROR_CODES.ABORTED, 'The quickstart was stopped.');
  // Estimated seconds of the longest chain each unit starts (longest first on a pool).
  const chain = (unit: WorkerUnitSpec): number => {
    if (!remote) return 0;
    if (unit.kind === 'compare') return unitCost(plan, unit);
    if (unit.kind === 'arm') return unitCost(plan, unit) + (ARMS[unit.variant].controlRms ? unitCost(plan, { kind: 'compare', seed: unit.seed, variant: unit.variant, rm: 'control' }) : 0);
    return unitCost(plan, unit) + Math.max(...variants.map((variant) => chain({ kind: 'arm', seed: unit.seed, variant })));
  };

  /** A finished unit's record: stored, or run now (in this process, or on the executor's workers). */
  const unitDone = async <R extends UnitRecord>(unit: WorkerUnitSpec): Promise<R> => {
    const stored = readUnit<R>(plan, unit);
    if (stored) return stored;
    return slots.run(chain(unit), async () => {
      if (options.signal?.aborted) throw aborted();
      const input: UnitInput = { plan, unit, executor: executorInfo };
      if (!remote) {
        await runUnit(input, hooks);
      } else {
        await executor.map(UNIT_TASK, [input], { label: `quickstart-${unit.kind}`, signal: options.signal });
        logger.info(`${unitLabel(unit)}: done.`);
      }
      const record = readUnit<R>(plan, unit);
      if (!record) throw new ApogeeError(ERROR_CODES.INTERNAL, `${unitLabel(unit)} finished without writing ${UNIT_FILE}.`);
      if (record.kind === 'pi0') emit({ type: 'pretrain-end', seed: record.seed, seconds: record.seconds, metrics: record.result.sftMetrics });
      if (record.kind === 'arm') emit({ type: 'variant-end', seed: record.seed, variant: record.variant, seconds: record.seconds, metrics: record.result.metrics[record.result.metrics.length - 1] ?? {} });
      return record;
    });
  };

  /** A seed's analysis: its scoring requests as jobs (smallest last), the arithmetic here. */
  const analysisDone = async (seed: number): Promise<void> => {
    const unit = { kind: 'analysis' as const, seed, variants: [...variants] };
    if (readUnit(plan, unit)) return;
    let submitted = 0;
    let done = 0;
    let task: ReturnType<Progress['task']> | undefined;
    // In this process: each RM loaded once for the seed's analysis, released after it.
    const scoring = remote ? undefined : inProcessScoring();
    const score = (input: ScoreJobInput): Promise<ScoreJobOutput> => {
      // The analysis hands out all its requests in one go: the bar starts with their count.
      if (submitted++ === 0) queueMicrotask(() => (task = progress?.task(`seed ${seed} · same-pair analysis`, submitted)));
      // ~0.55 ms per text on one core (default preset): far below any unit, so other seeds' units go first.
      const priority = remote ? 0.00055 * input.request.texts.length : 0;
      return slots
        .run(priority, async () => {
          if (options.signal?.aborted) throw aborted();
          if (scoring) return scoring.run(input);
          const [r] = await executor.map<ScoreJobInput, ScoreJobOutput>(SCORE_TASK, [input], { label: `quickstart-score`, signal: options.signal });
          return r;
        })
        .then((r) => {
          done += 1;
          task?.update(done, submitted);
          return r;
        });
    };
    let record: AnalysisRecord;
    try {
      record = await runAnalysisUnit(plan, unit, score, remote);
    } finally {
      await scoring?.close();
    }
    task?.finish(`${done} scoring jobs, ${record.seconds.toFixed(0)} s of work`);
    if (remote) logger.info(`${unitLabel(unit)}: done.`);
  };

  /** One seed: π₀; then every arm and, after rjs-apo, its comparison RMs; then the analysis. */
  const playSeed = async (seed: number): Promise<void> => {
    await unitDone<Pi0Record>({ kind: 'pi0', seed });
    await Promise.all(
      variants.map(async (variant) => {
        const arm = await unitDone<ArmRecord>({ kind: 'arm', seed, variant });
        if (arm.result.comparisonSamples) await Promise.all(COMPARISON_RMS.map((rm) => unitDone<CompareRecord>({ kind: 'compare', seed, variant, rm })));
      }),
    );
    await analysisDone(seed);
  };
  // Workers with nothing to do while the seeds' π₀ train: warm them up (lowest priority: only idle slots take it).
  const pi0Pending = seeds.filter((seed) => !readUnit(plan, { kind: 'pi0', seed })).length;
  const warmUps =
    executor.kind === 'local' && pi0Pending > 0
      ? Array.from({ length: Math.max(0, workers - pi0Pending) }, () =>
          slots.run(-1, () => executor.map(WARM_TASK, [{ backend: plan.backend }], { label: 'quickstart-warm', signal: options.signal })).catch(() => undefined),
        )
      : [];
  try {
    if (!remote) {
      for (const seed of seeds) await playSeed(seed);
    } else {
      await Promise.all(seeds.map((seed) => playSeed(seed)));
    }
  } catch (e) {
    if (options.signal?.aborted) {
      throw new ApogeeError(ERROR_CODES.ABORTED, 'The quickstart was stopped.', { hint: `Finished seeds and arms are saved; continue with: apogee resume ${plan.dir}`, cause: e });
    }
    throw e;
  } finally {
    // Nothing waiting may start once the executor is closed (a failed unit ends the quickstart).
    slots.close(aborted());
    await Promise.all(warmUps);
    progress?.stop();
    await executor.close();
  }
  return executorInfo;
}

/**
 * Step 3: the units put together in the canonical order (seeds, then arms), whatever ran them, in
 * whatever order, however often the quickstart was stopped, with each seed's analysis on shared
 * data (same-pair RM accuracy, best-of-n, claim values) from its unit.
 */
async function assembleSeeds(
  plan: UnitPlan,
  seeds: readonly number[],
  variants: readonly QuickstartVariant[],
): Promise<{ runs: SeedRun[]; samples: Map<string, string[]>; timing: QuickstartTiming['seeds']; metricDirs: string[] }> {
  const { dir, preset } = plan;
  const runs: SeedRun[] = [];
  const samples = new Map<string, string[]>();
  const timing: QuickstartTiming['seeds'] = [];
  const metricDirs: string[] = [];
  const need = <R extends UnitRecord>(unit: UnitSpec): R => {
    const r = readUnit<R>(plan, unit);
    if (!r) throw new ApogeeError(ERROR_CODES.INTERNAL, `${unitLabel(unit)} has no ${UNIT_FILE}.`);
    if (unit.kind === 'pi0' || unit.kind === 'arm') metricDirs.push(unitDir(dir, unit));
    return r;
  };
  for (const seed of seeds) {
    const world = new PreferenceWorld({ ...preset.world, seed });
    const data = world.gameData();
    const pi0Record = need<Pi0Record>({ kind: 'pi0', seed });
    const pi0 = pi0Record.result;
    addSamples(samples, SFT_ROW, 0, seed, data.testQueries, pi0.heldOut);
    const seedRun: SeedRun = { seed, variants: { [SFT_ROW]: { ...pi0.metrics, winRateVsSft: 0.5 } }, rounds: { [SFT_ROW]: [{ round: 0, ...pi0.metrics, winRateVsSft: 0.5 }] } };
    const variantSeconds: Record<string, number> = {};
    let seconds = pi0Record.seconds;
    let cpu = pi0Record.cpuSeconds;
    for (const variant of variants) {
      const armRecord = need<ArmRecord>({ kind: 'arm', seed, variant });
      const arm = armRecord.result;
      const metrics = arm.metrics.map((m, i) => ({ ...m, winRateVsSft: promptWinRate(arm.heldOut[i], pi0.heldOut) }));
      seedRun.rounds[variant] = metrics;
      seedRun.variants[variant] = metrics[metrics.length - 1] ?? {};
      arm.heldOut.forEach((h, i) => addSamples(samples, variant, i + 1, seed, data.testQueries, h));
      // An arm's time includes its comparison RMs' units.
      const comparisons = arm.comparisonSamples ? COMPARISON_RMS.map((rm) => need<CompareRecord>({ kind: 'compare', seed, variant, rm })) : [];
      variantSeconds[variant] = armRecord.seconds + comparisons.reduce((a, c) => a + c.seconds, 0);
      seconds += variantSeconds[variant];
      cpu += armRecord.cpuSeconds + comparisons.reduce((a, c) => a + c.cpuSeconds, 0);
    }
    const analysisRecord = need<AnalysisRecord>({ kind: 'analysis', seed, variants: [...variants] });
    const analysis = analysisRecord.result;
    seconds += analysisRecord.seconds;
    cpu += analysisRecord.cpuSeconds;
    seedRun.analysis = analysis;
    const last = analysis.samePairs[analysis.samePairs.length - 1];
    for (const variant of variants) {
      const rm = ARMS[variant].goldRm ? undefined : ARMS[variant].keepRms === 'all' ? variant : ARMS[variant].update === 'goldenSft' ? undefined : 'rmBase';
      const acc = rm && last ? last.accuracy[rm] : undefined;
      if (acc !== undefined) seedRun.variants[variant] = { ...seedRun.variants[variant], rmAccuracyPolicy: acc };
    }
    if (last?.accuracy.rmBase !== undefined) seedRun.variants[SFT_ROW] = { ...seedRun.variants[SFT_ROW], rmAccuracyPolicy: analysis.rmBaseOnPi0.accuracy };
    runs.push(seedRun);
    timing.push({ seed, seconds, cpuSeconds: cpu, pretrainSeconds: pi0Record.seconds, variants: variantSeconds, analysisSeconds: analysisRecord.seconds });
  }
  return { runs, samples, timing, metricDirs };
}

/** Share of held-out prompts where the policy's mean gold beats π₀'s (ties ½). */
function promptWinRate(policy: HeldOutSamples | undefined, pi0: HeldOutSamples): number {
  if (!policy) return NaN;
  const m = (g: number[]) => g.reduce((a, b) => a + b, 0) / Math.max(g.length, 1);
  let wins = 0;
  policy.gold.forEach((g, i) => {
    const d = m(g) - m(pi0.gold[i]);
    wins += d > 0 ? 1 : d === 0 ? 0.5 : 0;
  });
  return wins / Math.max(policy.gold.length, 1);
}

function addSamples(samples: Map<string, string[]>, variant: string, round: number, seed: number, prompts: readonly PromptRecord[], held: HeldOutSamples): void {
  const key = `${variant}/round-${round}.jsonl`;
  const lines = samples.get(key) ?? [];
  prompts.forEach((p, i) => lines.push(JSON.stringify({ queryId: p.queryId, prompt: p.prompt, responses: held.responses[i], gold: held.gold[i], seed })));
  samples.set(key, lines);
}

async function writeSamples(dir: string, samples: Map<string, string[]>): Promise<void> {
  for (const [key, lines] of samples) await writeFileAtomic(path.join(dir, 'samples', key), `${lines.join('\n')}\n`);
}

function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
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
  raterBias: number | null;
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
