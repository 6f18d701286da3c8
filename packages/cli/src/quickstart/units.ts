import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ApogeeError,
  createRun,
  ERROR_CODES,
  Rng,
  silentLogger,
  TOKENS,
  writeFileAtomic,
  type Logger,
  type RoundReport,
  type SampleSet,
} from '@apogee/core';
import { reliabilityRows } from '@apogee/eval';
import type { TaskContext, TaskRef } from '@apogee/executor';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { initBackend } from '@apogee/runtime';
import { byteTokenizer } from '@apogee/tokenizers';
import { PreferenceWorld } from '@apogee/world';
import type { CliIo } from '../io';
import { MetricsWriter, type ExecutorInfo } from '../metrics/metrics-writer';
import type { Progress } from '../progress/progress';
import type { QuickstartPreset, QuickstartVariant } from './presets';
import { samplePolicy, trainInitialPolicy } from './pretrain';

/**
 * The quickstart as independent units of work, each checkpointed when it finishes
 * (`units/seed-<s>/<name>/unit.json`, written last and atomically):
 * - `pi0` (once per seed): SFT of π₀ and the raters' samples; saves π₀ under `models/seed-<s>/pi0`;
 * - `arm` (seed × variant): one variant's game from π₀, every round and its evaluation; a baseline
 *   also saves its RM_Base (the proxy RM of π₀'s own row);
 * - `sft-eval` (once per seed): π₀ evaluated like a round, with a baseline's RM_Base.
 * Units of different seeds and the arms of a seed do not depend on each other, so they run in
 * parallel on a local pool; every unit draws its randomness from its seed's streams only, so the
 * results are the same whatever runs them and in whatever order. `apogee resume` skips finished
 * units. (docs/guides/run-directory.md)
 */
export type UnitSpec =
  | { kind: 'pi0'; seed: number }
  | { kind: 'arm'; seed: number; variant: QuickstartVariant }
  | { kind: 'sft-eval'; seed: number; baseline: QuickstartVariant };

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
  unit: UnitSpec;
  /** Recorded on the games' run-start rows. */
  executor?: ExecutorInfo;
}

/** `unit.json` of a finished π₀ unit. */
export interface Pi0Record {
  kind: 'pi0';
  seed: number;
  fingerprint: string;
  seconds: number;
  cpuSeconds: number;
  sftMetrics: Record<string, number>;
  humanSamples: SampleSet[];
  testSamples: SampleSet[];
}

/** `unit.json` of a finished arm. */
export interface ArmRecord {
  kind: 'arm';
  seed: number;
  variant: QuickstartVariant;
  fingerprint: string;
  seconds: number;
  cpuSeconds: number;
  metrics: Array<Record<string, number>>;
  reports: RoundReport[];
  /** Whether `rm-base/` holds this baseline's RM_Base. */
  rmBase: boolean;
}

/** `unit.json` of π₀'s evaluation. */
export interface SftEvalRecord {
  kind: 'sft-eval';
  seed: number;
  fingerprint: string;
  seconds: number;
  cpuSeconds: number;
  metrics: Record<string, number>;
  report: RoundReport;
}

export type UnitRecord = Pi0Record | ArmRecord | SftEvalRecord;

/** Hooks of an in-process unit (a pool's units run without them). */
export interface UnitHooks {
  io?: CliIo;
  progress?: Progress;
  logger?: Logger;
  signal?: AbortSignal;
  callbacks?: (tags: { variant: string; seed: number }) => import('@apogee/core').RoundCallback[];
}

export const UNITS_DIR = 'units';
export const UNIT_FILE = 'unit.json';

/** The directory of a unit: `units/seed-<s>/<pi0 | variant | sft-eval>`. */
export function unitDir(dir: string, unit: UnitSpec): string {
  return path.join(dir, UNITS_DIR, `seed-${unit.seed}`, unit.kind === 'arm' ? unit.variant : unit.kind);
}

/** π₀'s model directory (unchanged from earlier quickstarts). */
export function pi0Dir(dir: string, seed: number): string {
  return path.join(dir, 'models', `seed-${seed}`, 'pi0');
}

/** A unit's name in messages: `seed 1 · dpo-apo`. */
export function unitLabel(unit: UnitSpec): string {
  return `seed ${unit.seed} · ${unit.kind === 'arm' ? unit.variant : unit.kind === 'pi0' ? 'π₀' : 'π₀ evaluation'}`;
}

/** What must match for a stored unit to be reused: everything that changes its numbers. */
export function unitFingerprint(plan: UnitPlan, unit: UnitSpec): string {
  return JSON.stringify({ preset: plan.presetName, settings: plan.preset, rounds: unit.kind === 'arm' ? plan.rounds : undefined, backend: plan.backend, unit });
}

// JSON has no NaN or ±Infinity; metrics and reliability bins hold them. Kept exact through unit.json.
const NONFINITE = '__nonfinite';
const replacer = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [NONFINITE]: String(v) } : v);
const reviver = (_k: string, v: unknown) =>
  v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Record<string, unknown>)[NONFINITE] === 'string'
    ? Number((v as Record<string, string>)[NONFINITE])
    : v;

/** The stored record of a finished unit, or undefined when the unit has not finished (or was run with other settings). */
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

async function writeUnit(plan: UnitPlan, unit: UnitSpec, record: UnitRecord): Promise<void> {
  await writeFileAtomic(path.join(unitDir(plan.dir, unit), UNIT_FILE), `${JSON.stringify(record, replacer, 1)}\n`);
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

/** The world of a seed, and its game data rebuilt from the raters' stored samples. */
function worldOf(plan: UnitPlan, pi0: Pi0Record) {
  const world = new PreferenceWorld({ ...plan.preset.world, seed: pi0.seed });
  return { world, data: world.gameData({ humanSamples: pi0.humanSamples, testSamples: pi0.testSamples }) };
}

function needPi0(plan: UnitPlan, seed: number): Pi0Record {
  const pi0 = readUnit<Pi0Record>(plan, { kind: 'pi0', seed });
  if (!pi0) throw new ApogeeError(ERROR_CODES.INTERNAL, `The π₀ unit of seed ${seed} has not finished.`);
  return pi0;
}

/**
 * Run one unit and store its record. Restarting a unit that was cut short starts it over: its
 * directory is cleared first, so nothing half-written is ever read.
 */
export async function runUnit(input: UnitInput, hooks: UnitHooks = {}): Promise<UnitRecord> {
  const { plan, unit } = input;
  const udir = unitDir(plan.dir, unit);
  await fs.promises.rm(udir, { recursive: true, force: true });
  fs.mkdirSync(udir, { recursive: true });
  const started = Date.now();
  const cpu = process.cpuUsage();
  const fingerprint = unitFingerprint(plan, unit);
  const logger = hooks.logger ?? silentLogger;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rq = require('./run-quickstart') as typeof import('./run-quickstart');
  let record: UnitRecord;
  switch (unit.kind) {
    case 'pi0': {
      const rng = Rng.fromSeed(unit.seed, 'quickstart');
      const world = new PreferenceWorld({ ...plan.preset.world, seed: unit.seed });
      const writer = new MetricsWriter(udir, { variant: rq.SFT_ROW, seed: unit.seed });
      const task = hooks.progress?.task(`seed ${unit.seed} · SFT of π₀`, 1);
      const { policy, metrics } = await trainInitialPolicy(world, plan.preset, rng.stream('pi0'), (step, total) => {
        writer.write({ event: 'step', round: 0, phase: 'update-policy', step: step.step, metrics: { loss: step.loss, lr: step.lr, gradNorm: step.gradNorm, ...step.metrics } });
        task?.update(step.step, total, { loss: step.loss });
      }, hooks.signal);
      let humanSamples: SampleSet[];
      let testSamples: SampleSet[];
      try {
        // The raters label pairs of π₀'s own samples (RM queries: D_P; test prompts: held-out pairs).
        humanSamples = await samplePolicy(policy, world.rmQueries(), plan.preset, plan.preset.annotationSamples, rng.stream('annotate/rm'));
        testSamples = await samplePolicy(policy, world.testQueries(), plan.preset, plan.preset.annotationSamples, rng.stream('annotate/test'));
        await fs.promises.rm(pi0Dir(plan.dir, unit.seed), { recursive: true, force: true });
        await policy.save(pi0Dir(plan.dir, unit.seed));
      } finally {
        await policy.dispose();
      }
      task?.finish(`loss ${metrics['sft/loss'].toFixed(3)} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
      record = { kind: 'pi0', seed: unit.seed, fingerprint, seconds: 0, cpuSeconds: 0, sftMetrics: metrics, humanSamples, testSamples };
      break;
    }
    case 'arm': {
      const pi0 = needPi0(plan, unit.seed);
      const { data } = worldOf(plan, pi0);
      const { metrics, reports, rmBase } = await rq.playVariant({
        variant: unit.variant,
        seed: unit.seed,
        dir: plan.dir,
        metricsDir: udir,
        pi0Dir: pi0Dir(plan.dir, unit.seed),
        data,
        preset: plan.preset,
        rounds: plan.rounds,
        backend: plan.backend,
        executor: input.executor,
        io: hooks.io,
        signal: hooks.signal,
        callbacks: hooks.callbacks,
        progress: hooks.progress,
        logger,
      });
      try {
        if (rmBase) await rmBase.save(path.join(udir, 'rm-base'));
      } finally {
        await rmBase?.dispose();
      }
      record = { kind: 'arm', seed: unit.seed, variant: unit.variant, fingerprint, seconds: 0, cpuSeconds: 0, metrics, reports, rmBase: rmBase !== undefined };
      break;
    }
    case 'sft-eval': {
      const pi0 = needPi0(plan, unit.seed);
      const { world, data } = worldOf(plan, pi0);
      const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ preset: 'tiny', config: plan.preset.model }), gptReward()] });
      try {
        const policy = await run.resolve(TOKENS.PolicyFactory).load(pi0Dir(plan.dir, unit.seed));
        try {
          const rm = await run.resolve(TOKENS.RewardFactory).load(path.join(unitDir(plan.dir, { kind: 'arm', seed: unit.seed, variant: unit.baseline }), 'rm-base'));
          try {
            const report = await rq.evaluateInitial(policy, rm, world, data, plan.preset, unit.seed);
            new MetricsWriter(udir, { variant: rq.SFT_ROW, seed: unit.seed }).write({ event: 'round-end', round: 0, metrics: report.metrics });
            record = {
              kind: 'sft-eval',
              seed: unit.seed,
              fingerprint,
              seconds: 0,
              cpuSeconds: 0,
              metrics: report.metrics,
              report: { round: 0, samples: report.samples, reliability: reliabilityRows(report.reliabilityHuman) },
            };
          } finally {
            await rm.dispose();
          }
        } finally {
          await policy.dispose();
        }
      } finally {
        await run.dispose();
      }
      break;
    }
  }
  record.seconds = (Date.now() - started) / 1000;
  record.cpuSeconds = cpuSeconds(cpu);
  await writeUnit(plan, unit, record);
  return record;
}

/** The unit as a task of `@apogee/executor` (what a local pool's processes run). */
export const UNIT_TASK: TaskRef = { module: path.join(__dirname, `units${path.extname(__filename)}`), name: 'quickstartUnitTask' };

/** Task entry: selects the run's backend once per worker process, then runs the unit. Returns only its time (the record is on disk). */
export async function quickstartUnitTask(input: UnitInput, ctx: TaskContext): Promise<{ seconds: number }> {
  await ctx.cached(`backend:${input.plan.backend}`, async () => {
    const b = await initBackend({ backend: input.plan.backend as 'auto' });
    if (b.name !== input.plan.backend) {
      throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, `A worker process got backend ${b.name}, not the run's ${input.plan.backend}.`);
    }
    return b;
  });
  const record = await runUnit(input);
  return { seconds: record.seconds };
}
