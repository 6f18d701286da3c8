import * as path from 'node:path';
import type { Command } from 'commander';
import { ApogeeError, ERROR_CODES, writeFileAtomic } from '@apogee/core';
import { displayPath, type CommandContext } from '../context';
import { EXIT_CODES } from '../exit-codes';
import { loadConfigFile } from '../config/load-config';
import { examples } from './examples';
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
    .addHelpText(
      'after',
      `${examples('apogee config init apogee.yaml && apogee run --config apogee.yaml', 'apogee run -c runs/dpo-apo.yaml --out runs/dpo-apo-seed2 --seed 2')}
Ctrl-C stops after the current step, keeps the last checkpoint and prints the \`apogee resume\` line (exit 130).
`,
    )
    .action(async (opts: { config: string; out?: string; seed?: number; report: boolean }) => {
      const file = path.resolve(ctx.io.cwd, opts.config);
      const loaded = loadConfigFile(file);
      const config = { ...loaded.config, ...(opts.out ? { outDir: opts.out } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) };
      finish(ctx, await lazyRun().executeRun({ config, io: ctx.io, signal: ctx.signal, report: opts.report, locate: loaded.locate, source: opts.config, configFile: file }));
    });

  program
    .command('resume')
    .description('continue a stopped run from its last checkpoint (reads DIR/config.yaml)')
    .argument('<dir>', 'the run directory (the outDir of `apogee run`)')
    .option('--no-report', 'do not write report.html at the end')
    .option(
      '--set <key=value>',
      'change a setting that only affects what comes next: game.rounds, or a learning rate (<plugin>.<option path>.lr); repeatable, recorded in DIR/settings-changes.jsonl',
      (v: string, all: string[] = []) => [...all, v],
    )
    .addHelpText('after', examples('apogee resume runs/latest', 'apogee resume runs/latest --set game.rounds=5', 'apogee resume runs/latest --set dpo-apo.game.rm.lr=0.0005'))
    .action(async (dir: string, opts: { report: boolean; set?: string[] }) => {
      const { RUN_CONFIG_FILE, configYaml, executeRun } = lazyRun();
      const runDir = path.resolve(ctx.io.cwd, dir);
      const file = path.join(runDir, RUN_CONFIG_FILE);
      let loaded;
      try {
        loaded = loadConfigFile(file, { runFile: true });
      } catch (e) {
        if (e instanceof ApogeeError && /Cannot read config file/.test(e.message)) {
          throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${dir} is not an apogee run directory (it has no ${RUN_CONFIG_FILE}).`, {
            hint: 'Pass the outDir of a run started with `apogee run` (the directory the resume line printed).',
          });
        }
        throw e;
      }
      const { applyResumeSettings, recordSettingChanges } = require('../run/resume-settings') as typeof import('../run/resume-settings');
      const { config: changed, changes } = applyResumeSettings(loaded.config, opts.set ?? []);
      const config = { ...changed, outDir: runDir };
      // Once the run is locked: the new settings become the run's config (what the next resume
      // reads), and the change is logged with its time.
      const onLocked = async (d: string) => {
        if (changes.length === 0) return;
        for (const c of changes) ctx.io.err(`Resuming with ${c.key} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}\n`);
        await writeFileAtomic(file, configYaml({ ...changed, outDir: loaded.config.outDir }, loaded.provenance as Parameters<typeof configYaml>[1]));
        recordSettingChanges(d, changes);
      };
      // Plugins resolve as they did when the run started: from the original config's directory.
      const configFile = loaded.provenance?.configFile ?? file;
      finish(ctx, await executeRun({ config, io: ctx.io, signal: ctx.signal, resume: true, report: opts.report, locate: loaded.locate, source: file, configFile, onLocked }));
    });
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--seed must be an integer from 0 to 4294967295, got "${v}".`);
  }
  return n;
}
