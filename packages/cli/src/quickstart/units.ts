import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, silentLogger, writeFileAtomic, type Logger, type RoundCallback } from '@apogee/core';
import type { TaskContext, TaskRef } from '@apogee/executor';
import { initBackend } from '@apogee/runtime';
import { PreferenceWorld } from '@apogee/world';
import type { CliIo } from '../io';
import { MetricsWriter, type ExecutorInfo } from '../metrics/metrics-writer';
import type { Progress } from '../progress/progress';
import { runCallbacks } from '../run/run-callbacks';
import { analyseSeed, loadSavedRm, scoreRequest, type ScoreRequest, type SeedAnalysis } from './analysis';
import { ARMS } from './arms';
import type { QuickstartPreset, QuickstartVariant } from './presets';
import { COMPARISON_RMS, runArmUnit, runComparisonUnit, runPi0Unit, seedModelDir, type ArmResult, type ComparisonResult, type ComparisonRm, type Pi0Result } from './protocol';

/**
 * The quickstart's protocol units (`protocol.ts`) as checkpoints and as jobs of `@apogee/executor`:
 * π₀ per seed; then each seed × arm; for an arm with `controlRms` (rjs-apo), each of its comparison
 * RMs (`control`, `fresh`) once the arm has finished; and, once all of a seed's units have, the
 * seed's analysis (its scoring spread over the executor as jobs of its own, `analysis.ts`).
 * A finished unit is `units/seed-<s>/<name>/unit.json`, written last and atomically; its metrics
 * rows go to its own `metrics.jsonl`/`metrics.csv` beside it. Units that do not depend on each
 * other run side by side on a pool; each draws its randomness from its seed's streams only, so
 * results are the same whatever runs them, in whatever order. `apogee resume` skips finished units
 * (docs/guides/run-directory.md).
 */
export type UnitSpec =
  | { kind: 'pi0'; seed: number }
  | { kind: 'arm'; seed: number; variant: QuickstartVariant }
  | { kind: 'compare'; seed: number; variant: QuickstartVariant; rm: ComparisonRm }
  | { kind: 'analysis'; seed: number; variants: QuickstartVariant[] };

/** The units that run in a worker (the analysis runs in the coordinator and hands out its scoring). */
export type WorkerUnitSpec = Exclude<UnitSpec, { kind: 'analysis' }>;

/** What every unit of one quickstart shares. */
export interface UnitPlan {
  dir: string;
  presetName: string;
  preset: QuickstartPreset;
  rounds: number;
  /** The resolved backend name (every unit uses the same). */
  backend: string;
}

export interface UnitInput {
  plan: UnitPlan;
  unit: WorkerUnitSpec;
  /** Recorded on the games' run-start rows. */
  executor?: ExecutorInfo;
}

interface RecordBase {
  seed: number;
  fingerprint: string;
  seconds: number;
  cpuSeconds: number;
}
export interface Pi0Record extends RecordBase {
  kind: 'pi0';
  result: Pi0Result;
}
export interface ArmRecord extends RecordBase {
  kind: 'arm';
  variant: QuickstartVariant;
  result: ArmResult;
}
export interface CompareRecord extends RecordBase {
  kind: 'compare';
  variant: QuickstartVariant;
  rm: ComparisonRm;
  result: ComparisonResult;
}
export interface AnalysisRecord extends RecordBase {
  kind: 'analysis';
  result: SeedAnalysis;
}
export type UnitRecord = Pi0Record | ArmRecord | CompareRecord | AnalysisRecord;

/** Hooks of an in-process unit (a pool's units run without them). */
export interface UnitHooks {
  io?: CliIo;
  progress?: Progress;
  logger?: Logger;
  signal?: AbortSignal;
  callbacks?: (tags: { variant: string; seed: number }) => RoundCallback[];
}

export const UNITS_DIR = 'units';
export const UNIT_FILE = 'unit.json';
/** π₀'s row in the summary. */
const SFT_ROW = 'sft';

/** A unit's name (its directory under `units/seed-<s>/`): `pi0`, the variant, `<variant>-<rm>`, `analysis`. */
function unitName(unit: UnitSpec): string {
  switch (unit.kind) {
    case 'pi0':
      return 'pi0';
    case 'arm':
      return unit.variant;
    case 'compare':
      return `${unit.variant}-${unit.rm}`;
    case 'analysis':
      return 'analysis';
  }
}

/** The directory of a unit: `units/seed-<s>/<pi0 | variant | variant-rm | analysis>`. */
export function unitDir(dir: string, unit: UnitSpec): string {
  return path.join(dir, UNITS_DIR, `seed-${unit.seed}`, unitName(unit));
}

/** A unit's name in messages: `seed 1 · dpo-apo`. */
export function unitLabel(unit: UnitSpec): string {
  const name = unit.kind === 'pi0' ? 'π₀' : unit.kind === 'compare' ? `${unit.variant}'s ${unit.rm} RM` : unitName(unit);
  return `seed ${unit.seed} · ${name}`;
}

/**
 * What must match for a stored unit to be reused: everything that changes its numbers. An arm with
 * comparison RMs is marked `comparisons: 'units'`: records written before the comparison RMs became
 * units of their own lack the samples they train on, so such an arm runs again on resume.
 */
export function unitFingerprint(plan: UnitPlan, unit: UnitSpec): string {
  const comparisons = unit.kind === 'arm' && ARMS[unit.variant].controlRms ? 'units' : undefined;
  return JSON.stringify({ preset: plan.presetName, settings: plan.preset, rounds: unit.kind === 'pi0' ? undefined : plan.rounds, backend: plan.backend, unit, comparisons });
}

/**
 * A rough cost of a unit, in seconds on one core of the `default` preset (seed 41 on a quiet
 * machine: π₀ 22 s; per round about 4.5 s of sampling, updating and evaluating a policy, plus 9 s
 * for an RM trained every round, or 3.5 s once for RM_Base; a comparison RM 8.5 s). Used only to
 * order the work on a pool (longest chains first); a wrong estimate costs balance, never numbers.
 */
export function unitCost(plan: UnitPlan, unit: WorkerUnitSpec): number {
  if (unit.kind === 'pi0') return 22;
  if (unit.kind === 'compare') return 8.5;
  const spec = ARMS[unit.variant];
  const perRound = spec.goldRm ? 1.8 : spec.update === 'goldenSft' ? 3 : 4.5;
  const rm = spec.goldRm || spec.update === 'goldenSft' ? 0 : spec.keepRms === 'all' ? 9 * plan.rounds : 3.5;
  return perRound * plan.rounds + rm;
}

// JSON has no NaN or ±Infinity (nor -0); metrics hold them. Kept exact through unit.json.
const NONFINITE = '__nonfinite';
const replacer = (_k: string, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? { [NONFINITE]: Object.is(v, -0) ? '-0' : String(v) } : v);
const reviver = (_k: string, v: unknown) =>
  v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Record<string, unknown>)[NONFINITE] === 'string'
    ? Number((v as Record<string, string>)[NONFINITE])
    : v;

/** The stored record of a finished unit, or undefined when it has not finished (or was run with other settings). */
export function readUnit<R extends UnitRecord>(plan: UnitPlan, unit: UnitSpec): R | undefined {
  const file = path.join(unitDir(plan.dir, unit), UNIT_FILE);
  if (!fs.existsSync(file)) return undefined;
  let record: R;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8'), reviver) as R;
  } catch (cause) {
    throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${file} is not valid JSON.`, { hint: `Delete ${path.dirname(file)} and resume: that unit runs again.`, cause });
  }
  return record.fingerprint === unitFingerprint(plan, unit) ? record : undefined;
}

/** The record of a unit another one depends on, which must have finished. */
function needUnit<R extends UnitRecord>(plan: UnitPlan, unit: UnitSpec): R {
  const r = readUnit<R>(plan, unit);
  if (!r) throw new ApogeeError(ERROR_CODES.INTERNAL, `${unitLabel(unit)} has not finished.`);
  return r;
}

/** Store a unit's record (its `unit.json`, written last: from then on the unit counts as finished). */
export async function writeUnit(plan: UnitPlan, unit: UnitSpec, record: UnitRecord): Promise<void> {
  await writeFileAtomic(path.join(unitDir(plan.dir, unit), UNIT_FILE), `${JSON.stringify(record, replacer, 1)}\n`);
}

export const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

/**
 * Run one unit and store its record. A unit cut short starts over: its directories (the unit's and
 * its models') are cleared first, so nothing half-written is ever read.
 */
export async function runUnit(input: UnitInput, hooks: UnitHooks = {}): Promise<UnitRecord> {
  const { plan, unit } = input;
  const udir = unitDir(plan.dir, unit);
  const modelDir = path.join(seedModelDir(plan.dir, unit.seed), unitName(unit));
  await fs.promises.rm(udir, { recursive: true, force: true });
  await fs.promises.rm(modelDir, { recursive: true, force: true });
  fs.mkdirSync(udir, { recursive: true });
  const started = Date.now();
  const cpu = process.cpuUsage();
  const fingerprint = unitFingerprint(plan, unit);
  const world = new PreferenceWorld({ ...plan.preset.world, seed: unit.seed });
  // Human pairs from the annotation distribution, held-out rater pairs, golden answers: a function of the seed.
  const data = world.gameData();
  // What an arm's game and its comparison RMs start from: the seed's world and its π₀.
  const armSetup = (arm: QuickstartVariant) => ({
    seed: unit.seed,
    arm,
    world,
    data,
    preset: plan.preset,
    rounds: plan.rounds,
    backend: plan.backend,
    dir: plan.dir,
    pi0Dir: needUnit<Pi0Record>(plan, { kind: 'pi0', seed: unit.seed }).result.pi0Dir,
  });
  let record: UnitRecord;
  if (unit.kind === 'pi0') {
    const writer = new MetricsWriter(udir, { variant: SFT_ROW, seed: unit.seed });
    const task = hooks.progress?.task(`seed ${unit.seed} · SFT of π₀`, 1);
    const result = await runPi0Unit({
      seed: unit.seed,
      world,
      data,
      preset: plan.preset,
      dir: plan.dir,
      signal: hooks.signal,
      onStep: (step, total) => {
        writer.write({ event: 'step', round: 0, phase: 'update-policy', step: step.step, metrics: { loss: step.loss, lr: step.lr, gradNorm: step.gradNorm, ...step.metrics } });
        task?.update(step.step, total, { loss: step.loss });
      },
    });
    task?.finish(`loss ${result.sftMetrics['sft/loss'].toFixed(3)} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
    writer.write({ event: 'round-end', round: 0, metrics: result.metrics });
    record = { kind: 'pi0', seed: unit.seed, fingerprint, seconds: 0, cpuSeconds: 0, result };
  } else if (unit.kind === 'compare') {
    const arm = needUnit<ArmRecord>(plan, { kind: 'arm', seed: unit.seed, variant: unit.variant });
    if (!arm.result.comparisonSamples) throw new ApogeeError(ERROR_CODES.INTERNAL, `${unitLabel({ kind: 'arm', seed: unit.seed, variant: unit.variant })} kept no samples for its comparison RMs.`);
    const result = await runComparisonUnit({ ...armSetup(unit.variant), kind: unit.rm, samples: arm.result.comparisonSamples });
    record = { kind: 'compare', seed: unit.seed, variant: unit.variant, rm: unit.rm, fingerprint, seconds: 0, cpuSeconds: 0, result };
  } else {
    const tags = { variant: unit.variant, seed: unit.seed };
    const cbs = hooks.io ? runCallbacks({ dir: udir, io: hooks.io, tags, progress: hooks.progress }) : undefined;
    const metrics = cbs ? cbs.metrics : new MetricsWriter(udir, tags);
    metrics.executor = input.executor;
    const callbacks: RoundCallback[] = [...(cbs ? cbs.callbacks : [metrics]), ...(hooks.callbacks?.(tags) ?? [])];
    const result = await runArmUnit({ ...armSetup(unit.variant), logger: hooks.logger ?? silentLogger, callbacks, signal: hooks.signal });
    record = { kind: 'arm', seed: unit.seed, variant: unit.variant, fingerprint, seconds: 0, cpuSeconds: 0, result };
  }
  record.seconds = (Date.now() - started) / 1000;
  record.cpuSeconds = cpuSeconds(cpu);
  await writeUnit(plan, unit, record);
  return record;
}

/** The unit as a task of `@apogee/executor` (what a local pool's processes run). */
export const UNIT_TASK: TaskRef = { module: path.join(__dirname, `units${path.extname(__filename)}`), name: 'quickstartUnitTask' };

/** Selects the run's backend once per worker process (and checks it is the coordinator's). */
async function selectBackend(ctx: TaskContext, backend: string): Promise<void> {
  await ctx.cached(`backend:${backend}`, async () => {
    const b = await initBackend({ backend: backend as 'auto' });
    if (b.name !== backend) {
      throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, `A worker process got backend ${b.name}, not the run's ${backend}.`);
    }
    return b;
  });
}

/** Task entry: selects the run's backend once per worker process, then runs the unit. Returns only its time (the record is on disk). */
export async function quickstartUnitTask(input: UnitInput, ctx: TaskContext): Promise<{ seconds: number }> {
  await selectBackend(ctx, input.plan.backend);
  const record = await runUnit(input);
  return { seconds: record.seconds };
}

/**
 * Task entry that only loads this module (and with it the protocol's packages) and selects the
 * backend: what a fresh pool process spends its first second or two on. The quickstart sends it to
 * workers that would otherwise idle while π₀ trains, so the arms start on warm processes.
 */
export async function quickstartWarmTask(input: { backend: string }, ctx: TaskContext): Promise<{ pid: number }> {
  await selectBackend(ctx, input.backend);
  return { pid: process.pid };
}

/** {@link quickstartWarmTask} as a task. */
export const WARM_TASK: TaskRef = { module: UNIT_TASK.module, name: 'quickstartWarmTask' };

/** One scoring job of a seed's analysis. */
export interface ScoreJobInput {
  backend: string;
  model: QuickstartPreset['model'];
  request: ScoreRequest;
}

/** Its scores (float32 values, exact through JSON) and the time it took. */
export interface ScoreJobOutput {
  scores: number[];
  seconds: number;
  cpuSeconds: number;
}

/** The scoring job as a task of `@apogee/executor`. */
export const SCORE_TASK: TaskRef = { module: UNIT_TASK.module, name: 'quickstartScoreTask' };

type Cached = <T>(key: string, create: () => Promise<T>, dispose?: (value: T) => Promise<void> | void) => Promise<T>;

async function scoreJob(input: ScoreJobInput, cached: Cached): Promise<ScoreJobOutput> {
  const started = Date.now();
  const cpu = process.cpuUsage();
  // A worker keeps the RMs it loaded: RM_Base, say, scores several of a seed's pools.
  const loaded = await cached(`quickstart-rm:${JSON.stringify(input.model)}:${input.request.rmDir}`, () => loadSavedRm(input.model, input.request.rmDir), (l) => l.dispose());
  const scores = await scoreRequest(loaded.rm, input.request);
  return { scores: Array.from(scores), seconds: (Date.now() - started) / 1000, cpuSeconds: cpuSeconds(cpu) };
}

/** Task entry of a scoring job. */
export async function quickstartScoreTask(input: ScoreJobInput, ctx: TaskContext): Promise<ScoreJobOutput> {
  await selectBackend(ctx, input.backend);
  return scoreJob(input, ctx.cached);
}

/** Scoring jobs in this process (the in-process executor): each RM loaded once, all disposed by `close`. */
export function inProcessScoring(): { run: (input: ScoreJobInput) => Promise<ScoreJobOutput>; close: () => Promise<void> } {
  const held = new Map<string, { value: Promise<unknown>; dispose?: (v: never) => Promise<void> | void }>();
  const cached: Cached = (key, create, dispose) => {
    let hit = held.get(key);
    if (!hit) {
      hit = { value: create(), dispose: dispose as (v: never) => Promise<void> | void };
      held.set(key, hit);
    }
    return hit.value as Promise<never>;
  };
  return {
    run: (input) => scoreJob(input, cached),
    close: async () => {
      const all = [...held.values()];
      held.clear();
      for (const h of all) if (h.dispose) await h.value.then((v) => h.dispose!(v as never), () => undefined);
    },
  };
}

/**
 * A seed's analysis (`analyseSeed`) from its units' records, its scoring handed to `score` (jobs on
 * the executor's workers when `remote`, else in this process), stored as
 * `units/seed-<s>/analysis/unit.json`. Its times count work, not waiting: the scoring jobs' own
 * seconds plus this process's time while no job was outstanding (on a pool, the wall time would
 * include waiting for a free worker).
 */
export async function runAnalysisUnit(
  plan: UnitPlan,
  unit: Extract<UnitSpec, { kind: 'analysis' }>,
  score: (input: ScoreJobInput) => Promise<ScoreJobOutput>,
  remote: boolean,
): Promise<AnalysisRecord> {
  const started = Date.now();
  const cpu = process.cpuUsage();
  let jobSeconds = 0;
  let jobCpu = 0;
  let outstanding = 0;
  let since = 0;
  let waiting = 0;
  const world = new PreferenceWorld({ ...plan.preset.world, seed: unit.seed });
  const data = world.gameData();
  const pi0 = needUnit<Pi0Record>(plan, { kind: 'pi0', seed: unit.seed });
  const arms: ArmResult[] = unit.variants.map((variant) => {
    const arm = needUnit<ArmRecord>(plan, { kind: 'arm', seed: unit.seed, variant }).result;
    const rmDirs = { ...arm.rmDirs };
    if (arm.comparisonSamples) {
      for (const rm of COMPARISON_RMS) {
        const c = needUnit<CompareRecord>(plan, { kind: 'compare', seed: unit.seed, variant, rm }).result;
        rmDirs[`${rm}-${c.round}`] = c.dir;
      }
    }
    return { ...arm, rmDirs };
  });
  const result = await analyseSeed({ seed: unit.seed, world, prompts: data.testQueries, preset: plan.preset, rounds: plan.rounds, pi0: pi0.result, arms }, async (request) => {
    if (outstanding++ === 0) since = Date.now();
    let out: ScoreJobOutput;
    try {
      out = await score({ backend: plan.backend, model: plan.preset.model, request });
    } finally {
      if (--outstanding === 0) waiting += (Date.now() - since) / 1000;
    }
    jobSeconds += out.seconds;
    jobCpu += out.cpuSeconds;
    return Float32Array.from(out.scores);
  });
  const record: AnalysisRecord = {
    kind: 'analysis',
    seed: unit.seed,
    fingerprint: unitFingerprint(plan, unit),
    seconds: (Date.now() - started) / 1000 - waiting + jobSeconds,
    cpuSeconds: cpuSeconds(cpu) + (remote ? jobCpu : 0),
    result,
  };
  fs.mkdirSync(unitDir(plan.dir, unit), { recursive: true });
  await writeUnit(plan, unit, record);
  return record;
}
