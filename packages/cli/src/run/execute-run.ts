import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import {
  ApogeeError,
  ERROR_CODES,
  TOKENS,
  writeFileAtomic,
  writeJsonAtomic,
  type ApogeeConfig,
  type GameResult,
} from '@apogee/core';
import { createExecutor, EXECUTOR, type ExecutorConfig } from '@apogee/executor';
import { initBackend } from '@apogee/runtime';
import type { CliIo } from '../io';
import { displayPath } from '../context';
import { builtinPlugins } from '../plugins/registry';
import { checkPluginRefs, createRunLocated, instantiatePlugins, pluginRecord, type PluginLookup, type PluginRecord } from '../plugins/check-plugins';
import { writeReport } from '../report/render-report';
import { registerCallbacks, runCallbacks } from './run-callbacks';
import { describeExecutorConfig } from '../executor/executor-options';
import { claimOutDir, lockRunDir } from './run-dir';

/** The file a run keeps its resolved config in; `apogee resume DIR` reads it back. */
export const RUN_CONFIG_FILE = 'config.yaml';

export interface ExecuteRunOptions {
  config: ApogeeConfig;
  io: CliIo;
  signal: AbortSignal;
  /** Continue the run in this directory (its checkpoints) instead of starting one. */
  resume?: boolean;
  /** Write report.html at the end (default true). */
  report?: boolean;
  /** Runs once the run directory is locked, before any work (resume records its `--set` changes here). */
  onLocked?: (dir: string) => Promise<void>;
  /** `file:line:col` of config nodes, for plugin errors. */
  locate?: (p: ReadonlyArray<PropertyKey>) => string;
  source?: string;
  /** Where sample / score / evaluate jobs run (default in-process); recorded in metrics.jsonl. */
  executor?: ExecutorConfig;
  /** The config file: plugins resolve from its directory first, `localPlugins` are relative to it. */
  configFile?: string;
}

/** What config.yaml records besides the config: where it came from and each plugin loaded. */
export interface RunProvenance {
  /** The config file the run started from. */
  configFile?: string;
  /** Each plugin in `plugins`: its package, version, where it loaded from, its resolved options. */
  plugins: PluginRecord[];
}

export interface ExecuteRunResult {
  dir: string;
  result: GameResult;
  /** Set when the run was stopped (Ctrl-C): the command that continues it. */
  resumeCommand?: string;
  reportFile?: string;
}

/** The variant a run plays: the last plugin named in config that is a built-in variant. */
export function variantName(config: ApogeeConfig): string {
  const variants = new Set(builtinPlugins().filter((p) => p.package.startsWith('@apogee/variant-')).map((p) => p.name));
  const names = config.plugins.map((r) => (typeof r === 'string' ? r : r[0]));
  return [...names].reverse().find((n) => variants.has(n) || n.startsWith('@apogee/variant-'))?.replace('@apogee/variant-', '') ?? 'run';
}

/**
 * Play one game from a config: check plugins, pick the backend, build the run container, attach
 * progress and metrics, run (or resume) until done or aborted, then write summary.json, samples/
 * and report.html into `config.outDir`.
 */
export async function executeRun(options: ExecuteRunOptions): Promise<ExecuteRunResult> {
  const { config, io } = options;
  const dir = path.resolve(io.cwd, config.outDir);
  const resolved = { ...config, outDir: dir };
  const lookup: PluginLookup = { configFile: options.configFile, cwd: io.cwd, localPlugins: config.localPlugins };
  checkPluginRefs(config.plugins, { lookup, locate: options.locate, source: options.source });
  if (!options.resume && existsSync(path.join(dir, 'checkpoints'))) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${displayPath(io.cwd, dir)} already holds a run.`, {
      hint: `Continue it with \`apogee resume ${displayPath(io.cwd, dir)}\`, or choose another outDir (--out DIR).`,
    });
  }
  // Only a new or empty folder, or one apogee made: never write over (or delete) the user's files.
  if (!options.resume) claimOutDir(dir, 'run', displayPath(io.cwd, dir));
  const release = lockRunDir(dir, options.resume ? 'resume' : 'run', displayPath(io.cwd, dir));
  try {
    return await playLocked(options, dir, resolved, lookup);
  } finally {
    release();
  }
}

async function playLocked(options: ExecuteRunOptions, dir: string, resolved: ApogeeConfig, lookup: PluginLookup): Promise<ExecuteRunResult> {
  const { config, io } = options;
  if (options.onLocked) await options.onLocked(dir);
  const variant = variantName(config);
  const cbs = runCallbacks({ dir, io, tags: { variant, seed: config.seed } });
  const backend = await initBackend({ backend: config.backend, logger: cbs.logger });
  const loaded = await instantiatePlugins(config.plugins, { lookup, locate: options.locate });
  const executorConfig: ExecutorConfig = options.executor ?? { kind: 'in-process' };
  const executor = createExecutor(executorConfig);
  let run: Awaited<ReturnType<typeof createRunLocated>> | undefined;
  try {
    // Asking for the worker count opens a queue now: an unreachable Redis fails before any work.
    const workers = await executor.workers();
    cbs.metrics.executor = { kind: executor.kind, workers };
    if (executor.kind !== 'in-process') cbs.logger.info(`Jobs run on: ${describeExecutorConfig(executorConfig, workers)}.`);
    run = await createRunLocated(loaded, resolved, options.locate);
    run.container.register(EXECUTOR, { useValue: executor });
    registerCallbacks(run.container, cbs);
    run.check([TOKENS.GameController]);
    if (!options.resume) {
      const provenance: RunProvenance = { configFile: options.configFile ? path.resolve(io.cwd, options.configFile) : undefined, plugins: loaded.map(pluginRecord) };
      await writeFileAtomic(path.join(dir, RUN_CONFIG_FILE), configYaml(selfContained(config, lookup), provenance, options.executor));
    }
    const controller = run.resolve(TOKENS.GameController);
    let result: GameResult;
    if (options.resume) {
      if (!controller.resume) {
        throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, 'The game controller of this run cannot resume.', {
          hint: 'Use the apo-game plugin (or a variant preset), which checkpoints after every phase.',
        });
      }
      result = await controller.resume(dir, { signal: options.signal });
    } else {
      result = await controller.run({ signal: options.signal });
    }
    cbs.progress.stop();
    await writeRunSummary(dir, { config, variant, backend: backend.name, result });
    if (result.stopped) {
      return { dir, result, resumeCommand: `apogee resume ${displayPath(io.cwd, dir)}` };
    }
    const reportFile = options.report === false ? undefined : await writeReport(dir);
    return { dir, result, reportFile };
  } finally {
    cbs.progress.stop();
    await run?.dispose();
    await executor.close();
  }
}

/**
 * The config with every default filled in, as YAML with a header (what `resume` reads), and the
 * `provenance` of the run: the config file and each plugin's package, version and resolved options.
 */
export function configYaml(config: ApogeeConfig, provenance?: RunProvenance, executor?: ExecutorConfig): string {
  const body = stringify({ ...config, ...(executor ? { executor } : {}), ...(provenance ? { provenance } : {}) }, { lineWidth: 100 });
  return `# The resolved config of this run (every default filled in; provenance: the plugins loaded, their versions and options). \`apogee resume DIR\` reads it.\n${body}`;
}

/** The config with its local plugin paths made absolute, so the run directory's copy still finds them. */
function selfContained(config: ApogeeConfig, lookup: PluginLookup): ApogeeConfig {
  if (config.localPlugins.length === 0) return config;
  const base = lookup.configFile ? path.dirname(path.resolve(lookup.cwd, lookup.configFile)) : lookup.cwd;
  const local = new Set(config.localPlugins.map((p) => path.resolve(base, p)));
  const abs = (name: string) => (local.has(path.resolve(base, name)) ? path.resolve(base, name) : name);
  return {
    ...config,
    localPlugins: [...local],
    plugins: config.plugins.map((r) => (typeof r === 'string' ? abs(r) : [abs(r[0]), r[1]])),
  };
}

/**
 * summary.json, perRound and samples/ of one run (docs/guides/run-directory.md): final-round
 * metrics with std 0 (one seed), and the report parts any evaluator returned (reliability of the
 * last round that has one, test samples of every round).
 */
async function writeRunSummary(dir: string, r: { config: ApogeeConfig; variant: string; backend: string; result: GameResult }): Promise<void> {
  const stat = (v: number) => ({ mean: v, std: 0 });
  const rounds = r.result.metrics;
  const last = rounds[rounds.length - 1] ?? {};
  const statsOf = (m: Record<string, number>) =>
    Object.fromEntries(Object.entries(m).filter(([k, v]) => k !== 'round' && Number.isFinite(v)).map(([k, v]) => [k, stat(v)]));
  const summary: Record<string, unknown> = {
    seeds: [r.config.seed],
    backend: r.backend,
    variants: { [r.variant]: statsOf(last) },
    perRound: rounds.map((m, i) => ({ variant: r.variant, round: m.round ?? i + 1, ...statsOf(m) })),
    ...(r.result.stopped ? { stopped: r.result.stopped } : {}),
  };
  const reports = r.result.reports ?? [];
  const reliability = reports.filter((p) => p.reliability !== undefined).pop()?.reliability;
  if (reliability) summary.reliability = { [r.variant]: reliability };
  for (const { round, samples } of reports) {
    if (!samples) continue;
    const lines = samples.map((s) => JSON.stringify({ ...s, seed: r.config.seed })).join('\n');
    await writeFileAtomic(path.join(dir, 'samples', r.variant, `round-${round}.jsonl`), `${lines}\n`);
  }
  await writeJsonAtomic(path.join(dir, 'summary.json'), summary);
}
