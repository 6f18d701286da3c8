/**
 * `npm run bench [-- --json [file]] [--cases gemm,train-a,train-b,plain-a,plain-b,layers-fit,generate-a,dpo-a]
 * [--rounds N] [--iters N] [--threads N] [--no-blas]`: times apogee's runtime against the PyTorch
 * reference in the same run and prints a table; `--json` also writes the report (default
 * bench/results/latest.json). `--no-blas` runs apogee-cpu without a CBLAS library (matrix products
 * on its WebAssembly GEMM, as on a machine without a system BLAS); PyTorch keeps its OpenBLAS.
 */
import 'reflect-metadata';
import * as path from 'node:path';
import { writeJsonAtomic } from '@apogee/core';
import { BENCHMARK_CASES, formatBenchmarkReport, runBenchmarks, type BenchmarkCase } from '@apogee/runtime';
// The GPT cases live in @apogee/cli so that `apogee bench` times the very same steps.
import { gptBenchDpo, gptBenchGenerate, gptBenchStep } from '@apogee/cli';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const next = process.argv[i + 1];
  return next && !next.startsWith('--') ? next : '';
}

function intArg(name: string): number | undefined {
  const raw = arg(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be an integer ≥ 1, got "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const casesArg = arg('cases');
  const cases = casesArg ? (casesArg.split(',') as BenchmarkCase[]) : [...BENCHMARK_CASES];
  const report = await runBenchmarks({ cases, rounds: intArg('rounds'), iters: intArg('iters'), threads: intArg('threads'), blasLibrary: process.argv.includes('--no-blas') ? 'none' : undefined, gpt: gptBenchStep, generate: gptBenchGenerate, dpo: gptBenchDpo });
  process.stdout.write(`${formatBenchmarkReport(report)}\n`);
  const json = arg('json');
  if (json !== undefined) {
    const file = path.resolve(json || path.join('bench', 'results', 'latest.json'));
    await writeJsonAtomic(file, report);
    process.stdout.write(`wrote ${file}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
