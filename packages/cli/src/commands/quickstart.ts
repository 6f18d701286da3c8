import * as path from 'node:path';
import type { Command } from 'commander';
import * as os from 'node:os';
import { ApogeeError, ERROR_CODES, isApogeeError } from '@apogee/core';
import type { ExecutorConfig } from '@apogee/executor';
import { displayPath, type CommandContext } from '../context';
import { examples } from './examples';
import { EXIT_CODES } from '../exit-codes';
import { parseQueue, parseWorkers, resolveExecutorConfig } from '../executor/executor-options';
import type { QuickstartOptions } from '../quickstart';

/**
 * Where the quickstart's units run when no flag says: one process per core for the measured
 * preset on a multi-core machine (its units take minutes, a child process starts in about a
 * second); in-process for `fast`, whose units take seconds.
 */
export function defaultQuickstartExecutor(preset: string, cores: number): ExecutorConfig {
  return preset === 'default' && cores > 1 ? { kind: 'local', workers: 'auto' } : { kind: 'in-process' };
}

/** Run (or resume) a quickstart for the CLI: progress on stderr, the resume line on Ctrl-C (exit 130). */
export async function quickstartAction(ctx: CommandContext, options: Omit<QuickstartOptions, 'io' | 'signal' | 'onEvent'>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runQuickstart } = require('../quickstart') as typeof import('../quickstart');
  let result;
  try {
    result = await runQuickstart({
      ...options,
      io: ctx.io,
      signal: ctx.signal,
      onEvent: (e) => {
        if (e.type === 'done') ctx.io.err(`Quickstart finished in ${e.seconds.toFixed(0)} s.\n`);
      },
    });
  } catch (e) {
    if (isApogeeError(e) && e.code === ERROR_CODES.ABORTED && ctx.signal.aborted) {
      ctx.io.err(`Stopped. Finished seeds and arms are saved; continue with:\n  apogee resume ${displayPath(ctx.io.cwd, options.outDir)}\n`);
      ctx.exitCode = EXIT_CODES.INTERRUPTED;
      return;
    }
    throw e;
  }
  ctx.io.out(`Results: ${displayPath(ctx.io.cwd, path.join(result.dir, 'summary.json'))}\n`);
  if (result.reportFile) ctx.io.out(`Report:  ${displayPath(ctx.io.cwd, result.reportFile)}\n`);
}

function seedList(v: string): number[] {
  const seeds = v.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--seeds must be a comma-separated list of integers, got "${v}".`, { hint: 'Example: --seeds 1,2,3' });
  }
  return seeds;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${name} must be a whole number, got "${v}".`);
    return n;
  };
}

function nonNegative(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${name} must be a number ≥ 0, got "${v}".`);
    return n;
  };
}

export function registerQuickstartCommand(program: Command, ctx: CommandContext): void {
  program
    .command('quickstart')
    .description("train π₀ on the built-in preference world, play the oracle and the paper's variants (rjs, rjs-apo, dpo, dpo-apo, rrhf, rrhf-apo; golden-sft on request) and report paired claims over seeds")
    .option('-o, --out <dir>', 'output directory', 'apogee-quickstart')
    .option('--seed <n>', 'one seed', positiveInt('--seed'))
    .option('--seeds <list>', 'several seeds, e.g. 1,2,3 (mean ± std over them)', seedList)
    .option('--preset <name>', 'fast (seconds, a smoke test whose numbers mean nothing) or default (the measured configuration, about 6 CPU-minutes per seed: about 6 minutes in-process, 3 on two workers)', 'default')
    .option('--variants <list>', 'comma-separated subset of the variants', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--rounds <n>', "rounds of the game (default: the preset's)", positiveInt('--rounds'))
    .option('--backend <name>', 'auto | tensorflow | apogee-cpu | cpu', 'auto')
    .option('--apo-loss-coeff <x>', "weight of APO's golden-vs-sample items in the RM loss (default: the paper's 0.1; 0 retrains the RM every round without them)", nonNegative('--apo-loss-coeff'))
    .option('--rater-bias <x>', "length bonus of the world's raters (default 0: noisy gold); any other value is the declared secondary 'misspecified raters' arm", nonNegative('--rater-bias'))
    .option('--no-report', 'do not write report.html')
    .option('--workers <n>', 'run seeds and variants in parallel on N processes (auto: one per core; 1: in this process). Default: auto for --preset default on a multi-core machine, else 1', parseWorkers)
    .option('--queue <url>', 'run them on a BullMQ queue at redis://HOST:PORT (workers must see the output directory at the same path)', parseQueue)
    .addHelpText(
      'after',
      `${examples('apogee quickstart', 'apogee quickstart --preset fast --out /tmp/qs', 'apogee quickstart --seeds 1,2,3 --variants dpo,dpo-apo --workers 2', 'apogee resume apogee-quickstart')}
Writes summary.json, metrics.jsonl, metrics.csv, samples/, timing.json and report.html into the output directory.

Stopping and resuming: every unit of work (π₀ of a seed with its evaluation, each seed × arm with all
its rounds and evaluations, rjs-apo's two comparison RMs, each seed's analysis) is saved when it
finishes, under units/ in the output directory. Ctrl-C
(or a closed laptop, or a kill) loses only the units in progress; \`apogee resume DIR\` continues with the
settings the quickstart was started with, reuses every finished unit, and writes the same summary.json,
tables and report.html as an uninterrupted run.
`,
    )
    .action(async (opts: { out: string; seed?: number; seeds?: number[]; preset: string; variants?: string[]; rounds?: number; backend: string; apoLossCoeff?: number; raterBias?: number; report: boolean; workers?: number | 'auto'; queue?: string }) => {
      if (opts.seed !== undefined && opts.seeds) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'Give either --seed or --seeds, not both.');
      }
      if (!['auto', 'tensorflow', 'apogee-cpu', 'cpu'].includes(opts.backend)) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--backend must be one of auto, tensorflow, apogee-cpu, cpu; got "${opts.backend}".`);
      }
      await quickstartAction(ctx, {
        outDir: path.resolve(ctx.io.cwd, opts.out),
        seeds: opts.seeds ?? (opts.seed !== undefined ? [opts.seed] : undefined),
        preset: opts.preset as 'fast' | 'default',
        variants: opts.variants,
        rounds: opts.rounds,
        apoLossCoeff: opts.apoLossCoeff,
        raterBias: opts.raterBias,
        backend: opts.backend as 'auto',
        report: opts.report,
        executor: resolveExecutorConfig(opts, undefined, defaultQuickstartExecutor(opts.preset, os.availableParallelism())),
      });
    });
}
