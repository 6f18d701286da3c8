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
import type { QuickstartPreset, QuickstartVariant } from './presets';
import { runArmUnit, runPi0Unit, seedModelDir, type ArmResult, type Pi0Result } from './protocol';

/**
 * The quickstart's protocol units (`protocol.ts`: π₀ per seed, then each seed × arm) as checkpoints
 * and as jobs of `@apogee/executor`. A finished unit is `units/seed-<s>/<pi0 | arm>/unit.json`,
 * written last and atomically; its metrics rows go to its own `metrics.jsonl`/`metrics.csv` beside
 * it. The arms of a seed (and the units of different seeds) do not depend on each other, so a local
 * pool runs them side by side; each draws its randomness from its seed's streams only, so results
 * are the same whatever runs them. `apogee resume` skips finished units. The seed's analysis runs
 * in the coordinator from the units' records (docs/guides/run-directory.md).
 */
export type UnitSpec = { kind: 'pi0'; seed: number } | { kind: 'arm'; seed: number; variant: QuickstartVariant };

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
export type UnitRecord = Pi0Record | ArmRecord;

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

/** The directory of a unit: `units/seed-<s>/<pi0 | variant>`. */
export function unitDir(dir: string, unit: UnitSpec): string {
  return path.join(dir, UNITS_DIR, `seed-${unit.seed}`, unit.kind === 'arm' ? unit.variant : 'pi0');
}

/** A unit's name in messages: `seed 1 · dpo-apo`. */
export function unitLabel(unit: UnitSpec): string {
  return `seed ${unit.seed} · ${unit.kind === 'arm' ? unit.variant : 'π₀'}`;
}

/** What must match for a stored unit to be reused: everything that changes its numbers. */
export function unitFingerprint(plan: UnitPlan, unit: UnitSpec): string {
  return JSON.stringify({ preset: plan.presetName, settings: plan.preset, rounds: unit.kind === 'arm' ? plan.rounds : undefined, backend: plan.backend, unit });
}

// JSON has no NaN or ±Infinity; metrics hold them. Kept exact through unit.json.
const NONFINITE = '__nonfinite';
const replacer = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [NONFINITE]: String(v) } : v);
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

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
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
  const modelDir = path.join(seedModelDir(plan.dir, unit.seed), unit.kind === 'arm' ? unit.variant : 'pi0');
  await fs.promises.rm(udir, { recursive: true, force: true });
  await fs.promises.rm(modelDir, { recursive: true, force: true });
  fs.mkdirSync(udir, { recursive: true });
  const started = Date.now();
  const cpu = process.cpuUsage();
  const fingerprint = unitFingerprint(plan, unit);
  const world = new PreferenceWorld({ ...plan.preset.world, seed: unit.seed });
  // Human pairs from the annotation distribution, held-out rater pairs, golden answers: a function of the seed.
  const data = world.gameData();
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
  } else {
    const pi0 = readUnit<Pi0Record>(plan, { kind: 'pi0', seed: unit.seed });
    if (!pi0) throw new ApogeeError(ERROR_CODES.INTERNAL, `The π₀ unit of seed ${unit.seed} has not finished.`);
    const tags = { variant: unit.variant, seed: unit.seed };
    const cbs = hooks.io ? runCallbacks({ dir: udir, io: hooks.io, tags, progress: hooks.progress }) : undefined;
    const metrics = cbs ? cbs.metrics : new MetricsWriter(udir, tags);
    metrics.executor = input.executor;
    const callbacks: RoundCallback[] = [...(cbs ? cbs.callbacks : [metrics]), ...(hooks.callbacks?.(tags) ?? [])];
    const result = await runArmUnit({
      seed: unit.seed,
      arm: unit.variant,
      world,
      data,
      preset: plan.preset,
      rounds: plan.rounds,
      backend: plan.backend,
      dir: plan.dir,
      pi0Dir: pi0.result.pi0Dir,
      logger: hooks.logger ?? silentLogger,
      callbacks,
      signal: hooks.signal,
    });
    record = { kind: 'arm', seed: unit.seed, variant: unit.variant, fingerprint, seconds: 0, cpuSeconds: 0, result };
  }
  record.seconds = (Date.now() - started) / 1000;
  record.cpuSeconds = cpuSeconds(cpu);
  await writeFileAtomic(path.join(udir, UNIT_FILE), `${JSON.stringify(record, replacer, 1)}\n`);
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
