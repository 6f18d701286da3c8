import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ApogeeError,
  ERROR_CODES,
  silentLogger,
  writeFileAtomic,
  writeJsonAtomic,
  type Logger,
  type PromptRecord,
  type RoundCallback,
} from '@apogee/core';
import { initBackend } from '@apogee/runtime';
import { PreferenceWorld } from '@apogee/world';
import type { CliIo } from '../io';
import { MetricsWriter } from '../metrics/metrics-writer';
import { createProgress, type Progress } from '../progress/progress';
import { writeReport } from '../report/render-report';
import { runCallbacks } from '../run/run-callbacks';
import { analyseSeed } from './analysis';
import { ARMS } from './arms';
import type { HeldOutSamples } from './held-out-eval';
import { QUICKSTART_PRESETS, QUICKSTART_VARIANTS, type QuickstartPreset, type QuickstartVariant } from './presets';
import { runArmUnit, runPi0Unit, type ArmResult } from './protocol';
import { buildSummary, SEED_RUNS_FILE, type QuickstartSummary, type SeedRun } from './summary';

/** Name of π₀'s row in the summary (the paper's "SFT" row). */
export const SFT_ROW = 'sft';

export interface QuickstartOptions {
  /** Where summary.json, seed-runs.json, metrics.jsonl, samples/, timing.json and report.html go. */
  outDir: string;
  /** One full pass (π₀ + every variant) per seed. Default [1]. */
  seeds?: number[];
  /** `default` (the measured configuration) or `fast` (tests, a first look). Default `default`. */
  preset?: 'fast' | 'default';
  /** Variants to play, a subset of {@link QUICKSTART_VARIANTS}. Default: the preset's arms. */
  variants?: string[];
  /** Rounds of the game. Default: the preset's (3 for `default`). */
  rounds?: number;
  /**
   * Weight of APO's golden-vs-sample items in the RM loss (`apo_loss_coeff`, docs/concepts/apo.md §3).
   * Default: the preset's, the paper's 0.1. Any other value is recorded in `summary.json`'s
   * `preset` (`default+apoLossCoeff=0`), so such runs are never merged with reference runs.
   */
  apoLossCoeff?: number;
  /**
   * Length bonus of the world's raters (`annotator.raterBias`). Default: the preset's world (0,
   * noisy-gold raters). Any other value is the declared secondary "misspecified raters" arm,
   * recorded in `summary.json`'s `preset` (`default+raterBias=2`) and judged by gold only.
   */
  raterBias?: number;
  /** Tensor backend (`auto` picks the fastest). Default `auto`. */
  backend?: 'auto' | 'tensorflow' | 'apogee-cpu' | 'cpu';
  /** Progress and timing events (the CLI prints them). */
  onEvent?: (event: QuickstartEvent) => void;
  /** When given, progress bars/lines go to its stderr (the CLI passes its io). */
  io?: CliIo;
  /** Extra callbacks for every game (one list per variant × seed). */
  callbacks?: (tags: { variant: string; seed: number }) => RoundCallback[];
  /** Write report.html at the end. Default true. */
  report?: boolean;
  signal?: AbortSignal;
}

export type QuickstartEvent =
  | { type: 'start'; seeds: number[]; variants: string[]; preset: string; rounds: number; backend: string }
  | { type: 'pretrain-end'; seed: number; seconds: number; metrics: Record<string, number> }
  | { type: 'variant-end'; seed: number; variant: string; seconds: number; metrics: Record<string, number> }
  | { type: 'done'; seconds: number; summaryFile: string };

/** Wall-clock and CPU seconds of each part of the quickstart (timing.json). */
export interface QuickstartTiming {
  preset: string;
  backend: string;
  rounds: number;
  cores: number;
  totalSeconds: number;
  cpuSeconds: number;
  seeds: Array<{ seed: number; seconds: number; cpuSeconds: number; pretrainSeconds: number; variants: Record<string, number> }>;
}

export interface QuickstartResult {
  dir: string;
  summary: QuickstartSummary;
  timing: QuickstartTiming;
  reportFile?: string;
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

function checkOptions(options: QuickstartOptions): { seeds: number[]; variants: QuickstartVariant[]; preset: QuickstartPreset; presetName: string; rounds: number } {
  const presetName = options.preset ?? 'default';
  const preset = QUICKSTART_PRESETS[presetName as 'fast' | 'default'];
  if (!preset) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Unknown quickstart preset "${presetName}".`, { hint: 'Use --preset fast or --preset default.' });
  }
  const variants = (options.variants ?? [...preset.variants]) as QuickstartVariant[];
  const unknown = variants.filter((v) => !QUICKSTART_VARIANTS.includes(v));
  if (unknown.length > 0 || variants.length === 0) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Unknown quickstart variant${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ') || '(none given)'}.`, {
      hint: `Allowed: ${QUICKSTART_VARIANTS.join(', ')}.`,
    });
  }
  const seeds = options.seeds ?? [1];
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff) || new Set(seeds).size !== seeds.length) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Seeds must be distinct integers in [0, 2^32), got ${JSON.stringify(seeds)}.`, { hint: 'Example: --seeds 1,2,3' });
  }
  const rounds = options.rounds ?? preset.rounds;
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `rounds must be an integer from 1 to 100, got ${rounds}.`);
  }
  let chosen = preset;
  let name: string = presetName;
  const coeff = options.apoLossCoeff;
  if (coeff !== undefined && coeff !== preset.apoLossCoeff) {
    if (!Number.isFinite(coeff) || coeff < 0) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `apoLossCoeff must be a number ≥ 0, got ${coeff}.`, { hint: 'The paper uses 0.1 (the default).' });
    }
    chosen = { ...chosen, apoLossCoeff: coeff };
    name = `${name}+apoLossCoeff=${coeff}`;
  }
  const bias = options.raterBias;
  if (bias !== undefined && bias !== (preset.world.annotator?.raterBias ?? 0)) {
    if (!Number.isFinite(bias) || bias < 0) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `raterBias must be a number ≥ 0, got ${bias}.`, { hint: '0 (the default) gives noisy-gold raters; 2 is the misspecified-raters arm of docs/decisions/0064.' });
    }
    chosen = { ...chosen, world: { ...chosen.world, annotator: { ...chosen.world.annotator, raterBias: bias } } };
    name = `${name}+raterBias=${bias}`;
  }
  return { seeds, variants, preset: chosen, presetName: name, rounds };
}

/**
 * The quickstart: for each seed, build the world, train π₀ on its demonstrations, have the raters
 * label pairs of π₀'s samples, then play every variant (golden-sft, rjs, rjs-apo, dpo, dpo-apo,
 * rrhf, rrhf-apo) from the same π₀ for `rounds` rounds and evaluate each round with the world's
 * gold reward. Writes `summary.json` (mean and std over seeds), `metrics.jsonl`/`metrics.csv`,
 * `samples/<variant>/round-<r>.jsonl`, `timing.json` and `report.html` into `outDir`.
 */
export async function runQuickstart(options: QuickstartOptions): Promise<QuickstartResult> {
  const { seeds, variants, preset, presetName, rounds } = checkOptions(options);
  const dir = path.resolve(options.outDir);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['metrics.jsonl', 'metrics.csv']) fs.rmSync(path.join(dir, f), { force: true });
  fs.rmSync(path.join(dir, 'samples'), { recursive: true, force: true });
  const progress: Progress | undefined = options.io ? createProgress(options.io) : undefined;
  const logger: Logger = progress ? { info: (m) => progress.log(m), warn: (m) => progress.log(`warning: ${m}`), debug: () => undefined } : silentLogger;
  const emit = (e: QuickstartEvent) => options.onEvent?.(e);
  const t0 = Date.now();
  const c0 = process.cpuUsage();

  const backend = await initBackend({ backend: options.backend ?? 'auto', logger });
  emit({ type: 'start', seeds, variants, preset: presetName, rounds, backend: backend.name });
  const runs: SeedRun[] = [];
  const samples = new Map<string, string[]>();
  const timing: QuickstartTiming = { preset: presetName, backend: backend.name, rounds, cores: coreCount(), totalSeconds: 0, cpuSeconds: 0, seeds: [] };
  const allVariants = [SFT_ROW, ...variants];

  try {
    for (const seed of seeds) {
      const seedStart = Date.now();
      const seedCpu = process.cpuUsage();
      const world = new PreferenceWorld({ ...preset.world, seed });
      // Human pairs from the annotation distribution (off-policy for π₀), held-out rater pairs, golden answers.
      const data = world.gameData();
      const sftWriter = new MetricsWriter(dir, { variant: SFT_ROW, seed });

      // 1. π₀, once per seed, shared by every arm; its held-out samples are round 0 of every comparison.
      const task = progress?.task(`seed ${seed} · SFT of π₀`, 1);
      const pi0 = await runPi0Unit({
        seed,
        world,
        data,
        preset,
        dir,
        signal: options.signal,
        onStep: (step, total) => {
          sftWriter.write({ event: 'step', round: 0, phase: 'update-policy', step: step.step, metrics: { loss: step.loss, lr: step.lr, gradNorm: step.gradNorm, ...step.metrics } });
          task?.update(step.step, total, { loss: step.loss });
        },
      });
      const pretrainSeconds = (Date.now() - seedStart) / 1000;
      task?.finish(`loss ${pi0.sftMetrics['sft/loss'].toFixed(3)} in ${pretrainSeconds.toFixed(0)}s`);
      emit({ type: 'pretrain-end', seed, seconds: pretrainSeconds, metrics: pi0.sftMetrics });
      sftWriter.write({ event: 'round-end', round: 0, metrics: pi0.metrics });
      addSamples(samples, SFT_ROW, 0, seed, data.testQueries, pi0.heldOut);

      // 2. Every arm from the same π₀ and the same data.
      const seedRun: SeedRun = { seed, variants: { [SFT_ROW]: { ...pi0.metrics, winRateVsSft: 0.5 } }, rounds: { [SFT_ROW]: [{ round: 0, ...pi0.metrics, winRateVsSft: 0.5 }] } };
      const variantSeconds: Record<string, number> = {};
      const arms: ArmResult[] = [];
      for (const variant of variants) {
        const vStart = Date.now();
        const tags = { variant, seed };
        const cbs = options.io ? runCallbacks({ dir, io: options.io, tags, progress }) : undefined;
        const callbacks: RoundCallback[] = [...(cbs ? cbs.callbacks : [new MetricsWriter(dir, tags)]), ...(options.callbacks?.(tags) ?? [])];
        const arm = await runArmUnit({ seed, arm: variant, world, data, preset, rounds, backend: backend.name, dir, pi0Dir: pi0.pi0Dir, logger, callbacks, signal: options.signal });
        arms.push(arm);
        const metrics = arm.metrics.map((m, i) => ({ ...m, winRateVsSft: promptWinRate(arm.heldOut[i], pi0.heldOut) }));
        seedRun.rounds[variant] = metrics;
        seedRun.variants[variant] = metrics[metrics.length - 1] ?? {};
        arm.heldOut.forEach((h, i) => addSamples(samples, variant, i + 1, seed, data.testQueries, h));
        variantSeconds[variant] = (Date.now() - vStart) / 1000;
        emit({ type: 'variant-end', seed, variant, seconds: variantSeconds[variant], metrics: seedRun.variants[variant] });
        await writeSamples(dir, samples);
      }

      // 3. The seed's comparisons on shared data: same-pair RM accuracy, best-of-n, claim values.
      const analysis = await analyseSeed({ seed, world, prompts: data.testQueries, preset, rounds, pi0, arms });
      seedRun.analysis = analysis;
      const last = analysis.samePairs[analysis.samePairs.length - 1];
      for (const variant of variants) {
        const rm = ARMS[variant].goldRm ? undefined : ARMS[variant].keepRms === 'all' ? variant : ARMS[variant].update === 'goldenSft' ? undefined : 'rmBase';
        const acc = rm && last ? last.accuracy[rm] : undefined;
        if (acc !== undefined) seedRun.variants[variant] = { ...seedRun.variants[variant], rmAccuracyPolicy: acc };
      }
      if (last?.accuracy.rmBase !== undefined) seedRun.variants[SFT_ROW] = { ...seedRun.variants[SFT_ROW], rmAccuracyPolicy: analysis.rmBaseOnPi0.accuracy };
      runs.push(seedRun);
      timing.seeds.push({ seed, seconds: (Date.now() - seedStart) / 1000, cpuSeconds: cpuSeconds(seedCpu), pretrainSeconds, variants: variantSeconds });
      // Write what is done so far: an interrupted multi-seed run keeps its finished seeds.
      timing.totalSeconds = (Date.now() - t0) / 1000;
      timing.cpuSeconds = cpuSeconds(c0);
      await writeJsonAtomic(path.join(dir, 'summary.json'), buildSummary(runs, { backend: backend.name, preset: presetName, variants: allVariants }));
      await writeJsonAtomic(path.join(dir, 'timing.json'), timing);
      await writeJsonAtomic(path.join(dir, SEED_RUNS_FILE), runs);
    }
  } finally {
    progress?.stop();
  }
  const summary = buildSummary(runs, { backend: backend.name, preset: presetName, variants: allVariants });
  const summaryFile = path.join(dir, 'summary.json');
  await writeJsonAtomic(summaryFile, summary);
  let reportFile: string | undefined;
  if (options.report !== false) {
    reportFile = await writeReport(dir);
  }
  timing.totalSeconds = (Date.now() - t0) / 1000;
  timing.cpuSeconds = cpuSeconds(c0);
  await writeJsonAtomic(path.join(dir, 'timing.json'), timing);
  emit({ type: 'done', seconds: timing.totalSeconds, summaryFile });
  return { dir, summary, timing, reportFile };
}

/** Share of held-out prompts where the policy's mean gold beats π₀'s (ties ½). */
function promptWinRate(policy: HeldOutSamples | undefined, pi0: HeldOutSamples): number {
  if (!policy) return NaN;
  const m = (g: number[]) => g.reduce((a, b) => a + b, 0) / Math.max(g.length, 1);
  let wins = 0;
  policy.gold.forEach((g, i) => {
    const d = m(g) - m(pi0.gold[i]);
    wins += d > 0 ? 1 : d === 0 ? 0.5 : 0;
  });
  return wins / Math.max(policy.gold.length, 1);
}

function addSamples(samples: Map<string, string[]>, variant: string, round: number, seed: number, prompts: readonly PromptRecord[], held: HeldOutSamples): void {
  const key = `${variant}/round-${round}.jsonl`;
  const lines = samples.get(key) ?? [];
  prompts.forEach((p, i) => lines.push(JSON.stringify({ queryId: p.queryId, prompt: p.prompt, responses: held.responses[i], gold: held.gold[i], seed })));
  samples.set(key, lines);
}

async function writeSamples(dir: string, samples: Map<string, string[]>): Promise<void> {
  for (const [key, lines] of samples) await writeFileAtomic(path.join(dir, 'samples', key), `${lines.join('\n')}\n`);
}

function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}


