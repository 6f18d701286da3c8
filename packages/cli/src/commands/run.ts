import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { ApogeeError, ERROR_CODES, isApogeeError, writeFileAtomic } from '@apogee/core';
import { displayPath, type CommandContext } from '../context';
import { EXIT_CODES } from '../exit-codes';
import { loadConfigFile } from '../config/load-config';
import { examples } from './examples';
import { parseQueue, parseWorkers, resolveExecutorConfig } from '../executor/executor-options';

const WORKERS_HELP = 'run sampling, scoring and evaluation on N processes of this machine (auto: one per core; 1: in this process)';
const QUEUE_HELP = 'run them on a BullMQ queue at redis://HOST:PORT, served by `apogee worker` (docs/guides/scale-out.md)';
import type { ExecuteRunResult } from '../run/execute-run';

function lazyRun(): typeof import('../run/execute-run') {
  // Loaded on use: the run pulls in every package and tfjs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../run/execute-run') as typeof import('../run/execute-run');
}

function finish(ctx: CommandContext, r: ExecuteRunResult): void {
  if (r.resumeCommand) {
    ctx.io.err(`Stopped. Everything up to the last completed phase is saved; continue with:\n  ${r.resumeCommand}\n`);
    ctx.exitCode = EXIT_CODES.INTERRUPTED;
    return;
  }
  const last = r.result.metrics[r.result.metrics.length - 1] ?? {};
  const shown = ['goldReward', 'proxyReward', 'rmAccuracyPolicy', 'kl'].filter((k) => Number.isFinite(last[k]));
  ctx.io.out(`Finished ${r.result.rounds} rounds in ${displayPath(ctx.io.cwd, r.dir)}${shown.length ? `: ${shown.map((k) => `${k} ${last[k].toFixed(3)}`).join(', ')}` : ''}\n`);
  if (r.reportFile) ctx.io.out(`Report: ${displayPath(ctx.io.cwd, r.reportFile)}\n`);
}

export function registerRunCommands(program: Command, ctx: CommandContext): void {
  program
    .command('run')
    .description('play the APO game from a config file: checkpoints, metrics, samples and report.html in its outDir')
    .requiredOption('-c, --config <file>', 'YAML or JSON config (`apogee config init` writes one)')
    .option('-o, --out <dir>', "run directory (overrides the config's outDir)")
    .option('--seed <n>', "seed (overrides the config's seed)", (v) => parseSeed(v))
    .option('--no-report', 'do not write report.html at the end')
    .option('--workers <n>', WORKERS_HELP, parseWorkers)
    .option('--queue <url>', QUEUE_HELP, parseQueue)
    .addHelpText(
      'after',
      `${examples('apogee config init apogee.yaml && apogee run --config apogee.yaml', 'apogee run -c runs/dpo-apo.yaml --out runs/dpo-apo-seed2 --seed 2', 'apogee run -c apogee.yaml --workers auto', 'apogee run -c apogee.yaml --queue redis://10.0.0.5:6379')}
Ctrl-C stops after the current step, keeps the last checkpoint and prints the \`apogee resume\` line (exit 130).
`,
    )
    .action(async (opts: { config: string; out?: string; seed?: number; report: boolean; workers?: number | 'auto'; queue?: string }) => {
      const file = path.resolve(ctx.io.cwd, opts.config);
      const loaded = loadConfigFile(file);
      const config = { ...loaded.config, ...(opts.out ? { outDir: opts.out } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) };
      const executor = resolveExecutorConfig(opts, loaded.executor);
      finish(ctx, await lazyRun().executeRun({ config, io: ctx.io, signal: ctx.signal, report: opts.report, locate: loaded.locate, source: opts.config, configFile: file, executor }));
    });

  program
    .command('resume')
    .description('continue a stopped run or quickstart from its last checkpoint (reads DIR/config.yaml or DIR/quickstart.json)')
    .argument('<dir>', 'the run directory (the outDir of `apogee run`, or the --out of `apogee quickstart`)')
    .option('--no-report', 'do not write report.html at the end')
    .option('--workers <n>', WORKERS_HELP, parseWorkers)
    .option('--queue <url>', QUEUE_HELP, parseQueue)
    .option(
      '--set <key=value>',
      'change a setting that only affects what comes next: game.rounds, or a learning rate (<plugin>.<option path>.lr); repeatable, recorded in DIR/settings-changes.jsonl',
      (v: string, all: string[] = []) => [...all, v],
    )
    .addHelpText('after', examples('apogee resume runs/latest', 'apogee resume runs/latest --workers 2', 'apogee resume runs/latest --set game.rounds=5', 'apogee resume runs/latest --set dpo-apo.game.rm.lr=0.0005'))
    .action(async (dir: string, opts: { report: boolean; set?: string[]; workers?: number | 'auto'; queue?: string }) => {
      const { RUN_CONFIG_FILE, configYaml, executeRun } = lazyRun();
      const runDir = path.resolve(ctx.io.cwd, dir);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { readQuickstartManifest } = require('../quickstart/run-quickstart') as typeof import('../quickstart/run-quickstart');
      const quickstart = readQuickstartManifest(runDir);
      if (quickstart) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { defaultQuickstartExecutor, quickstartAction } = require('./quickstart') as typeof import('./quickstart');
        await quickstartAction(ctx, {
          outDir: runDir,
          resume: true,
          seeds: quickstart.seeds,
          variants: quickstart.variants,
          preset: quickstart.preset as 'default',
          rounds: quickstart.rounds,
          apoLossCoeff: quickstart.apoLossCoeff ?? undefined,
          raterBias: quickstart.raterBias ?? undefined,
          backend: quickstart.backend as 'auto',
          report: opts.report && quickstart.report,
          executor: resolveExecutorConfig(opts, undefined, defaultQuickstartExecutor(quickstart.preset, os.availableParallelism())),
        });
        return;
      }
      const file = path.join(runDir, RUN_CONFIG_FILE);
      let loaded;
      try {
        loaded = loadConfigFile(file, { runFile: true });
      } catch (e) {
        if (isApogeeError(e) && /Cannot read config file/.test(e.message)) {
          throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${dir} is not an apogee run directory (it has no ${RUN_CONFIG_FILE}).`, {
            hint: 'Pass the outDir of a run started with `apogee run`, or the --out directory of `apogee quickstart` (the directory the resume line printed).',
          });
        }
        throw e;
      }
      const { applyResumeSettings, recordSettingChanges } = require('../run/resume-settings') as typeof import('../run/resume-settings');
      const { config: changed, changes } = applyResumeSettings(loaded.config, opts.set ?? []);
      const config = { ...changed, outDir: runDir };
      const savedOutDir = loaded.config.outDir;
      const provenance = loaded.provenance as Parameters<typeof configYaml>[1];
      const savedExecutor = loaded.executor;
      // Once the run is locked: the new settings become the run's config (what the next resume
      // reads), and the change is logged with its time.
      const onLocked = async (d: string) => {
        if (changes.length === 0) return;
        for (const c of changes) ctx.io.err(`Resuming with ${c.key} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}\n`);
        await writeFileAtomic(file, configYaml({ ...changed, outDir: savedOutDir }, provenance, savedExecutor));
        recordSettingChanges(d, changes);
      };
      // Plugins resolve as they did when the run started: from the original config's directory.
      const configFile = loaded.provenance?.configFile ?? file;
      const executor = resolveExecutorConfig(opts, loaded.executor);
      finish(ctx, await executeRun({ config, io: ctx.io, signal: ctx.signal, resume: true, report: opts.report, locate: loaded.locate, source: file, configFile, onLocked, executor }));
    });
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--seed must be an integer from 0 to 4294967295, got "${v}".`);
  }
  return n;
}
