import type { Command } from 'commander';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import type { CommandContext } from '../context';
import { examples } from './examples';

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${name} must be an integer ≥ 1, got "${v}".`);
    return n;
  };
}

/** Every case of the runtime's benchmark (`BENCHMARK_CASES` of @apogee/runtime, which is loaded only when the command runs). */
export const DEFAULT_CASES = 'gemm,train-a,train-b,plain-a,plain-b,layers-fit,generate-a,dpo-a';

export function registerBenchCommand(program: Command, ctx: CommandContext): void {
  program
    .command('bench')
    .description('time the tensor runtime: GEMM 1024³, GPT training steps (apogee\'s fused GPT and one written with plain tfjs ops), a tf.sequential model.fit, KV-cache generation and a DPO step, each side by side with PyTorch when it is installed (ratio = apogee ÷ PyTorch)')
    .option('--json', 'print the full report as JSON on stdout')
    .option('--cases <list>', `comma-separated, from: ${DEFAULT_CASES}`, DEFAULT_CASES)
    .option('--rounds <n>', 'rounds (each times apogee, then PyTorch)', int('--rounds'), 3)
    .option('--iters <n>', 'timed iterations per round and side', int('--iters'))
    .option('--threads <n>', 'threads for both sides', int('--threads'), 1)
    .option('--backend <name>', 'auto | tensorflow | apogee-cpu | cpu', 'apogee-cpu')
    .option('--no-blas', 'run apogee-cpu without a system BLAS, as on a machine without one (matrix products on its WebAssembly SIMD GEMM); PyTorch keeps its own')
    .addHelpText('after', examples('apogee bench', 'apogee bench --cases plain-a,plain-b --no-blas', 'apogee bench --json --cases gemm --rounds 1 > bench.json'))
    .action(async (opts: { json?: boolean; cases: string; rounds: number; iters?: number; threads: number; backend: string; blas: boolean }) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const runtime = require('@apogee/runtime') as typeof import('@apogee/runtime');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { gptBenchStep } = require('../bench/gpt-step') as typeof import('../bench/gpt-step');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { gptBenchGenerate } = require('../bench/gpt-generate') as typeof import('../bench/gpt-generate');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { gptBenchDpo } = require('../bench/gpt-dpo') as typeof import('../bench/gpt-dpo');
      const cases = opts.cases.split(',').map((c) => c.trim()).filter(Boolean);
      const unknown = cases.filter((c) => !(runtime.BENCHMARK_CASES as readonly string[]).includes(c));
      if (unknown.length > 0 || cases.length === 0) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Unknown benchmark case${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ') || '(none)'}.`, {
          hint: `Allowed: ${runtime.BENCHMARK_CASES.join(', ')}.`,
        });
      }
      if (!['auto', 'tensorflow', 'apogee-cpu', 'cpu'].includes(opts.backend)) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--backend must be one of auto, tensorflow, apogee-cpu, cpu; got "${opts.backend}".`);
      }
      const report = await runtime.runBenchmarks({
        cases: cases as (typeof runtime.BENCHMARK_CASES)[number][],
        rounds: opts.rounds,
        iters: opts.iters,
        threads: opts.threads,
        backend: opts.backend as 'apogee-cpu',
        blasLibrary: opts.blas === false ? 'none' : undefined,
        gpt: gptBenchStep,
        generate: gptBenchGenerate,
        dpo: gptBenchDpo,
        logger: { info: (m) => ctx.io.err(`${m}\n`), warn: (m) => ctx.io.err(`warning: ${m}\n`), debug: () => undefined },
      });
      ctx.io.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${runtime.formatBenchmarkReport(report)}\n`);
    });
}
