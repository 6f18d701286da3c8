/**
 * The runtime benchmark: GEMM 1024³ through the backend vs `cblas_sgemm` called directly, and
 * GPT training steps, each side by side in the same run with the PyTorch reference script
 * (`bench/reference/torch_bench.py`). Rounds alternate apogee and PyTorch so both see the same
 * machine load; ratios are apogee ÷ PyTorch per round, then the median over rounds.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, consoleLogger, type Logger } from '@apogee/core';
import { initBackend, type BackendInfo, type BackendRequest } from '../init-backend';
import { activeBlas } from '../apogee-cpu-backend';
import { loadBlas } from '../blas';
import type { GptBenchShape, GptStepFactory } from './types';
import { layersFitStep, plainGptStep, tfjsLayersInstalled } from './plain-gpt';

/** The issue's reference shapes. */
export const GPT_BENCH_SHAPES: Record<'a' | 'b', GptBenchShape> = {
  a: { layers: 2, d: 128, heads: 4, time: 64, batch: 16, vocab: 256 },
  b: { layers: 4, d: 256, heads: 8, time: 128, batch: 8, vocab: 512 },
};

export const BENCHMARK_CASES = ['gemm', 'train-a', 'train-b', 'plain-a', 'plain-b', 'layers-fit', 'generate-a', 'dpo-a'] as const;
export type BenchmarkCase = (typeof BENCHMARK_CASES)[number];

export interface BenchmarkOptions {
  /** Cases to run, in order. Default: all. */
  cases?: readonly BenchmarkCase[];
  /** Rounds; each round times apogee, then PyTorch. Default 3. */
  rounds?: number;
  /** Timed iterations per round and side. Default 5 (GEMM: 10). */
  iters?: number;
  /** Untimed warm-up iterations per round and side. Default 2. */
  warmup?: number;
  /** Threads for both sides: apogee's BLAS and PyTorch's intra-op pool + OpenBLAS. Default 1. */
  threads?: number;
  /** Backend to time. Default `apogee-cpu`. */
  backend?: BackendRequest;
  /**
   * `'none'`: time apogee-cpu without a CBLAS library (matrix products on the WebAssembly GEMM), as
   * on a machine without a system BLAS; the PyTorch reference keeps its OpenBLAS. Default: the
   * usual library search (`APOGEE_BLAS`).
   */
  blasLibrary?: string;
  /** The GPT training step to time; without it the training cases are skipped with a note. */
  gpt?: GptStepFactory;
  /**
   * KV-cache generation for `generate-a` (its `step()` generates once; its `info` gives
   * `prompts`, `promptTokens`, `newTokens`, and after a step `generated`); skipped when absent.
   */
  generate?: GptStepFactory;
  /**
   * One DPO training step for `dpo-a` (reference log-probs, policy log-probs with their gradient,
   * sigmoid DPO loss, clipping, AdamW; its `info` gives `pairs`, `tokensPerRow`, `vocab`); skipped
   * when absent.
   */
  dpo?: GptStepFactory;
  /** The plain-tfjs GPT step for `plain-a`/`plain-b`. Default: `plainGptStep` (bench/plain-gpt.ts). */
  plainGpt?: GptStepFactory;
  /** The tfjs-layers `model.fit` case. Default: `layersFitStep` (bench/plain-gpt.ts). */
  layersFit?: GptStepFactory;
  /** Python for the reference. Default `APOGEE_PYTHON`, else `/usr/bin/python3`, else `python3`. */
  python?: string;
  /** Path of `torch_bench.py`. Default: `bench/reference/torch_bench.py` found upwards from cwd. */
  referenceScript?: string;
  /** Progress lines. Default stderr. */
  logger?: Logger;
}

export interface BenchmarkRound {
  apogeeMs: number;
  apogeeCpuMs: number;
  torchMs: number | null;
  torchCpuMs: number | null;
}

export interface BenchmarkResult {
  case: BenchmarkCase;
  description: string;
  /** Median over rounds of each round's median wall-clock ms per iteration. */
  apogeeMs: number;
  torchMs: number | null;
  /** apogee ÷ PyTorch, wall clock (median of per-round ratios). */
  ratio: number | null;
  /** Same, on process CPU time: steadier on a shared machine (with 1 thread it is compute time). */
  cpuRatio: number | null;
  /**
   * GEMM only: CPU ms of `cblas_sgemm` called directly (alternating with the backend calls), and
   * direct ÷ backend CPU time, i.e. the backend's share of direct throughput (target ≥ 0.8).
   */
  directSgemmMs?: number;
  gemmEfficiency?: number;
  rounds: BenchmarkRound[];
  note?: string;
}

export interface BenchmarkReport {
  date: string;
  machine: { cpu: string; cores: number; loadAverage: number[]; node: string; platform: string };
  backend: BackendInfo;
  threads: number;
  /** `blasCore`: the OpenBLAS kernels the reference used (from `OPENBLAS_VERBOSE`), when it says. */
  torch: { python: string; version: string; blasCore: string | null } | null;
  notes: string[];
  results: BenchmarkResult[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Wall and CPU ms of each of `iters` calls after `warmup` untimed ones. */
async function timeIterations(fn: () => unknown, warmup: number, iters: number): Promise<{ wall: number[]; cpu: number[] }> {
  for (let i = 0; i < warmup; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < iters; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall, cpu };
}

function findReferenceScript(explicit?: string): string | null {
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  let dir = process.cwd();
  for (;;) {
    const p = path.join(dir, 'bench', 'reference', 'torch_bench.py');
    if (fs.existsSync(p)) return p;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

interface Torch {
  python: string;
  version: string;
  script: string;
  /** Extra environment so the reference runs on the same OpenBLAS kernels as apogee. */
  env: Record<string, string>;
  blasCore: string | null;
}

/**
 * When apogee loaded OpenBLAS with newer kernels than its own detection picks, the reference gets
 * the same `OPENBLAS_CORETYPE`, so both sides multiply matrices with the same kernels.
 */
function sameKernels(): Record<string, string> {
  const blas = activeBlas();
  return blas?.coreFallback && blas.core ? { OPENBLAS_CORETYPE: blas.core } : {};
}

function findTorch(options: BenchmarkOptions, notes: string[]): Torch | null {
  const script = findReferenceScript(options.referenceScript);
  if (!script) {
    notes.push('PyTorch reference skipped: bench/reference/torch_bench.py not found (run from the apogee checkout).');
    return null;
  }
  const candidates = options.python ? [options.python] : process.env.APOGEE_PYTHON ? [process.env.APOGEE_PYTHON] : ['/usr/bin/python3', 'python3'];
  const tried: string[] = [];
  const env = sameKernels();
  for (const python of candidates) {
    // OPENBLAS_VERBOSE=2 makes OpenBLAS print the kernels it picked ("Core: SkylakeX") on stderr.
    const r = spawnSync(python, ['-c', 'import torch; torch.ones(2, 2) @ torch.ones(2, 2); print(torch.__version__)'], {
      encoding: 'utf8', env: { ...process.env, ...env, OPENBLAS_VERBOSE: '2' },
    });
    if (r.status === 0) return { python, version: r.stdout.trim(), script, env, blasCore: /Core: (\S+)/.exec(r.stderr ?? '')?.[1] ?? null };
    tried.push(`${python}: ${(r.error?.message ?? r.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 120)}`);
  }
  notes.push(`PyTorch not found (${tried.join('; ')}): reporting apogee's numbers only. Install python3-torch and libopenblas0-pthread (Debian) for the side-by-side comparison.`);
  return null;
}

function runTorch(torch: Torch, args: string[], threads: number): { wall: number[]; cpu: number[] } {
  const env = { ...process.env, ...torch.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync(torch.python, [torch.script, ...args, '--threads', String(threads)], { encoding: 'utf8', env, maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    throw new ApogeeError(ERROR_CODES.INTERNAL, `The PyTorch reference failed (${torch.python} ${torch.script} ${args.join(' ')}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number[]; cpuMs: number[] };
  return { wall: out.ms, cpu: out.cpuMs };
}

/** What every case runner gets. */
interface CaseContext {
  options: BenchmarkOptions;
  backend: BackendInfo;
  torch: Torch | null;
  threads: number;
  rounds: number;
  warmup: number;
  logger: Logger;
  notes: string[];
}

/** Runs the benchmark and returns the report (print it with {@link formatBenchmarkReport}). */
export async function runBenchmarks(options: BenchmarkOptions = {}): Promise<BenchmarkReport> {
  const logger = options.logger ?? consoleLogger;
  const threads = options.threads ?? 1;
  const cases = options.cases ?? BENCHMARK_CASES;
  for (const c of cases) {
    if (!(BENCHMARK_CASES as readonly string[]).includes(c)) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Unknown benchmark case "${c}"; allowed: ${BENCHMARK_CASES.join(', ')}.`);
    }
  }
  const backend = await initBackend({ backend: options.backend ?? 'apogee-cpu', blasThreads: threads, blasLibrary: options.blasLibrary, logger });
  const notes: string[] = [];
  const ctx: CaseContext = {
    options, backend, threads, logger, notes, torch: findTorch(options, notes), rounds: options.rounds ?? 3, warmup: options.warmup ?? 2,
  };
  const results: BenchmarkResult[] = [];
  for (const c of cases) {
    const result = c === 'gemm' ? await gemmCase(ctx) : await stepCase(c, ctx);
    if (result) results.push(result);
  }
  return {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100), node: process.version, platform: `${os.platform()} ${os.arch()}` },
    backend,
    threads,
    torch: ctx.torch && { python: ctx.torch.python, version: ctx.torch.version, blasCore: ctx.torch.blasCore },
    notes,
    results,
  };
}

/**
 * GEMM 1024³ through `tf.matMul` on the backend, alternating with `cblas_sgemm` called directly
 * (the system library, also when the backend runs without it), then PyTorch.
 */
async function gemmCase({ options, backend, torch, threads, rounds, warmup, logger }: CaseContext): Promise<BenchmarkResult> {
  const n = 1024;
  const iters = options.iters ?? 10;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const active = activeBlas();
  const blas = active ?? loadBlas().blas;
  // A library loaded here only for the direct comparison (a --no-blas run) must run on the bench's
  // thread count too: OpenBLAS's default (every core) leaves a worker thread spinning after each
  // call, which charged its CPU time to the backend's GEMM and slowed it (measured: 197 CPU-ms
  // for a 99 ms backend call, against 77 for 66 ms with one thread).
  if (!active) blas?.setThreads(threads);
  const av = a.dataSync() as Float32Array;
  const bv = b.dataSync() as Float32Array;
  const cv = new Float32Array(n * n);
  const roundsOut: BenchmarkRound[] = [];
  const direct: number[] = [];
  for (let r = 0; r < rounds; r++) {
    logger.info(`bench: gemm round ${r + 1}/${rounds}`);
    // Backend and direct calls alternate, so both see the same machine load.
    const oursWall: number[] = [];
    const oursCpu: number[] = [];
    const directRound: number[] = [];
    for (let i = 0; i < warmup + iters; i++) {
      const ours = await timeIterations(() => tf.tidy(() => tf.matMul(a, b)).dispose(), 0, 1);
      const dir = blas ? await timeIterations(() => blas.sgemm(false, false, n, n, n, 1, av, n, bv, n, 0, cv, n), 0, 1) : null;
      if (i < warmup) continue;
      oursWall.push(ours.wall[0]);
      oursCpu.push(ours.cpu[0]);
      if (dir) directRound.push(dir.cpu[0]);
    }
    if (directRound.length) direct.push(median(directRound));
    const ref = torch ? runTorch(torch, ['gemm', '--size', String(n), '--warmup', String(warmup), '--iters', String(iters)], threads) : null;
    roundsOut.push({ apogeeMs: median(oursWall), apogeeCpuMs: median(oursCpu), torchMs: ref && median(ref.wall), torchCpuMs: ref && median(ref.cpu) });
  }
  tf.dispose([a, b]);
  const matmul = backend.blas ? `BLAS ${backend.blas}` : backend.simd ? 'WebAssembly SIMD GEMM' : 'JS GEMM';
  const result = summarise('gemm', `GEMM 1024×1024×1024 float32 (${backend.name} tf.matMul on ${matmul} vs PyTorch)`, roundsOut);
  if (direct.length) {
    // On CPU time (single-threaded BLAS: compute time), steady under machine load.
    result.directSgemmMs = median(direct);
    result.gemmEfficiency = result.directSgemmMs / median(roundsOut.map((x) => x.apogeeCpuMs));
  } else {
    result.note = 'no CBLAS library on this machine: no direct sgemm to compare';
  }
  return result;
}

/** How each step case is built, described and mirrored by the PyTorch reference. */
interface StepCase {
  shape: GptBenchShape;
  factory: GptStepFactory | undefined;
  /** Why the case is skipped when there is no factory. */
  missing: string;
  iters: number;
  warmup: number;
  describe(info: Record<string, number>): string;
  torchArgs(info: Record<string, number>): string[];
}

const shapeArgs = (shape: GptBenchShape): string[] => Object.entries(shape).flatMap(([k, v]) => [`--${k}`, String(v)]);
const describeShape = (name: string, s: GptBenchShape): string =>
  `(${name}): ${s.layers} layers, d=${s.d}, ${s.heads} heads, T=${s.time}, batch ${s.batch}, vocab ${s.vocab}`;

function stepCaseOf(c: Exclude<BenchmarkCase, 'gemm'>, options: BenchmarkOptions, warmup: number): StepCase {
  const iters = options.iters ?? 5;
  if (c === 'train-a' || c === 'train-b' || c === 'plain-a' || c === 'plain-b') {
    const name = c.endsWith('a') ? 'a' : 'b';
    const shape = GPT_BENCH_SHAPES[name];
    const plain = c.startsWith('plain');
    return {
      shape, iters, warmup,
      factory: plain ? (options.plainGpt ?? plainGptStep) : options.gpt,
      missing: 'no GPT model given (runBenchmarks({ gpt }))',
      describe: () => plain
        ? `plain-tfjs GPT train step ${describeShape(name, shape)}; tf.moments LayerNorm, pow/tanh GELU, softmax attention, logSoftmax loss, tf.train.adam`
        : `GPT train step ${describeShape(name, shape)}; fwd+bwd+AdamW`,
      torchArgs: () => [plain ? 'plain-gpt' : 'gpt', ...shapeArgs(shape), '--warmup', String(warmup), '--iters', String(iters)],
    };
  }
  if (c === 'layers-fit') {
    return {
      shape: GPT_BENCH_SHAPES.a, iters, warmup,
      factory: options.layersFit ?? (tfjsLayersInstalled() ? layersFitStep : undefined),
      missing: '@tensorflow/tfjs (tfjs-layers) is not installed',
      describe: () => 'tf.sequential 64-256-256-10 MLP, model.fit: one epoch of 1024 samples, batch 128, Adam',
      torchArgs: () => ['layers-fit', '--warmup', String(warmup), '--iters', String(iters)],
    };
  }
  const shape = GPT_BENCH_SHAPES.a;
  const generate = c === 'generate-a';
  // Generation is long (64 × 64 tokens): fewer iterations and one warm-up.
  const warm = generate ? Math.min(warmup, 1) : warmup;
  const caseIters = options.iters ?? (generate ? 3 : 5);
  const common = ['--layers', String(shape.layers), '--d', String(shape.d), '--heads', String(shape.heads), '--time', '128', '--warmup', String(warm), '--iters', String(caseIters)];
  return {
    shape, iters: caseIters, warmup: warm,
    factory: generate ? options.generate : options.dpo,
    missing: generate ? 'no generation given (runBenchmarks({ generate }))' : 'no DPO step given (runBenchmarks({ dpo }))',
    describe: (info) => generate
      ? `KV-cache generation (a): ${info.prompts} prompts of ${info.promptTokens} tokens, ${info.newTokens} new tokens each, greedy`
      : `DPO step (a): ${info.pairs} pairs of ${info.tokensPerRow}-token rows, reference + policy log-probs, backward, AdamW`,
    torchArgs: (i) => [
      ...(generate
        ? ['generate', '--vocab', String(i.vocab ?? 260), '--batch', String(i.prompts ?? 64), '--prompt', String(i.promptTokens ?? 17), '--new', String(i.newTokens ?? 64)]
        : ['dpo', '--vocab', String(i.vocab ?? 260), '--batch', String(i.pairs ?? shape.batch), '--prompt', String(i.tokensPerRow ?? 64)]),
      ...common,
    ],
  };
}

/** A training, generation or DPO case: rounds of apogee's step, each followed by PyTorch's. */
async function stepCase(c: Exclude<BenchmarkCase, 'gemm'>, { options, torch, threads, rounds, warmup, logger, notes }: CaseContext): Promise<BenchmarkResult | null> {
  const spec = stepCaseOf(c, options, warmup);
  if (!spec.factory) {
    notes.push(`${c} skipped: ${spec.missing}.`);
    return null;
  }
  const { roundsOut, info, leaked } = await factoryRounds(c, spec.factory, spec.shape, rounds, spec.warmup, spec.iters, logger,
    (i) => torch && runTorch(torch, spec.torchArgs(i), threads));
  const result = summarise(c, spec.describe(info), roundsOut, leaked);
  const expected = (info.prompts ?? 0) * (info.newTokens ?? 0);
  if (c === 'generate-a' && info.generated !== undefined && info.generated < expected) {
    result.note = [result.note, `apogee generated ${info.generated} of ${expected} tokens (rows stopped at EOS)`].filter(Boolean).join('; ');
  }
  return result;
}

/**
 * Rounds of a prepared step: a fresh step per round, one untimed step (one-time allocations such
 * as optimizer state), then the timed ones with the tensor count before and after, then the
 * reference (`torch(info)`, null without PyTorch). `leaked`: the most tensors a round gained.
 */
async function factoryRounds(
  c: BenchmarkCase, factory: GptStepFactory, shape: GptBenchShape, rounds: number, warmup: number, iters: number, logger: Logger,
  torch: (info: Record<string, number>) => { wall: number[]; cpu: number[] } | null,
): Promise<{ roundsOut: BenchmarkRound[]; info: Record<string, number>; leaked: number }> {
  const roundsOut: BenchmarkRound[] = [];
  let info: Record<string, number> = {};
  let leaked = 0;
  for (let r = 0; r < rounds; r++) {
    logger.info(`bench: ${c} round ${r + 1}/${rounds}`);
    const step = await factory(shape);
    await step.step();
    const before = tf.memory().numTensors;
    const ours = await timeIterations(() => step.step(), warmup, iters);
    leaked = Math.max(leaked, tf.memory().numTensors - before);
    info = { ...step.info };
    step.dispose();
    const ref = torch(info);
    roundsOut.push({ apogeeMs: median(ours.wall), apogeeCpuMs: median(ours.cpu), torchMs: ref && median(ref.wall), torchCpuMs: ref && median(ref.cpu) });
  }
  return { roundsOut, info, leaked };
}

function summarise(c: BenchmarkCase, description: string, rounds: BenchmarkRound[], leaked = 0): BenchmarkResult {
  const withTorch = rounds.filter((r) => r.torchMs !== null);
  return {
    case: c,
    description,
    apogeeMs: median(rounds.map((r) => r.apogeeMs)),
    torchMs: withTorch.length ? median(withTorch.map((r) => r.torchMs!)) : null,
    ratio: withTorch.length ? median(withTorch.map((r) => r.apogeeMs / r.torchMs!)) : null,
    cpuRatio: withTorch.length ? median(withTorch.map((r) => r.apogeeCpuMs / r.torchCpuMs!)) : null,
    rounds,
    ...(leaked !== 0 ? { note: `tensor count grew by ${leaked} over the timed steps` } : {}),
  };
}

const f1 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const f2 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x.toFixed(2)}×`);

/** The report as a table a person reads. */
export function formatBenchmarkReport(report: BenchmarkReport): string {
  const rows = [['case', 'apogee ms', 'PyTorch ms', 'ratio (wall)', 'ratio (cpu)', 'rounds (wall ratio)', 'notes']];
  for (const r of report.results) {
    const perRound = r.rounds.map((x) => (x.torchMs ? (x.apogeeMs / x.torchMs).toFixed(2) : f1(x.apogeeMs))).join(' ');
    const extra = r.gemmEfficiency !== undefined ? `direct sgemm ${f1(r.directSgemmMs)} cpu-ms; backend at ${(100 * r.gemmEfficiency).toFixed(0)}% of direct` : '';
    rows.push([r.case, f1(r.apogeeMs), f1(r.torchMs), f2(r.ratio), f2(r.cpuRatio), perRound, [extra, r.note ?? ''].filter(Boolean).join('; ')]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  const out = [
    `apogee runtime benchmark, ${report.date}`,
    `backend ${report.backend.name}${report.backend.blas ? ` (BLAS ${report.backend.blas}${report.backend.blasCore ? `, ${report.backend.blasCore} kernels` : ''})` : ''}, ${report.threads} thread${report.threads === 1 ? '' : 's'} on both sides; ${report.machine.cpu}, ${report.machine.cores} cores, load ${report.machine.loadAverage.join(' ')}; PyTorch ${report.torch ? `${report.torch.version} (${report.torch.python}${report.torch.blasCore ? `, OpenBLAS ${report.torch.blasCore} kernels` : ''})` : 'absent'}`,
    '',
    line(rows[0]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ];
  for (const r of report.results) out.push(`  ${r.case}: ${r.description}`);
  for (const n of report.notes) out.push(`note: ${n}`);
  out.push('ratio = apogee ÷ PyTorch (lower is better), median over rounds; each round runs both sides back to back.');
  return out.join('\n');
}
