import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, writeFileAtomic, writeJsonAtomic } from '@apogee/core';
import { buildSummary, SEED_RUNS_FILE, type QuickstartSummary, type SeedRun } from './summary';
import type { QuickstartTiming } from './run-quickstart';

function readJson<T>(file: string): T {
  if (!fs.existsSync(file)) {
    throw new ApogeeError(ERROR_CODES.DATA_INVALID, `${file} does not exist.`, { hint: 'Pass directories written by runQuickstart (apogee quickstart --out DIR).' });
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/**
 * Merge quickstart directories of the same preset run for different seeds (e.g. one process per
 * seed on a multi-core machine) into one directory: summary.json over all seeds, seed-runs.json,
 * metrics.jsonl/csv and samples concatenated, timing.json with every seed.
 */
export async function mergeQuickstartRuns(dirs: readonly string[], outDir: string): Promise<QuickstartSummary> {
  const runs: SeedRun[] = [];
  const summaries: QuickstartSummary[] = [];
  const timings: QuickstartTiming[] = [];
  for (const d of dirs) {
    const complete = fs.existsSync(path.join(d, SEED_RUNS_FILE));
    runs.push(...(complete ? readJson<SeedRun[]>(path.join(d, SEED_RUNS_FILE)) : seedRunsFromMetrics(d)));
    summaries.push(
      fs.existsSync(path.join(d, 'summary.json'))
        ? readJson<QuickstartSummary>(path.join(d, 'summary.json'))
        : { seeds: [], backend: '?', preset: '?', variants: {}, perRound: [] },
    );
    if (fs.existsSync(path.join(d, 'timing.json'))) timings.push(readJson<QuickstartTiming>(path.join(d, 'timing.json')));
  }
  const seeds = runs.map((r) => r.seed);
  if (new Set(seeds).size !== seeds.length) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `The runs to merge share seeds: ${seeds.join(', ')}.`, { hint: 'Merge runs of different seeds.' });
  }
  const presets = new Set(summaries.map((s) => s.preset).filter((p) => p !== '?'));
  if (presets.size > 1) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `The runs to merge used different presets: ${[...presets].join(', ')}.`);
  runs.sort((a, b) => a.seed - b.seed);
  const variants = [...new Set([...summaries.flatMap((s) => Object.keys(s.variants)), ...runs.flatMap((r) => Object.keys(r.variants))])];
  const known = summaries.find((s) => s.preset !== '?') ?? summaries[0];
  const summary = buildSummary(runs, { backend: known.backend, preset: known.preset, variants, reliability: summaries[summaries.length - 1].reliability });
  fs.mkdirSync(outDir, { recursive: true });
  await writeJsonAtomic(path.join(outDir, 'summary.json'), summary);
  await writeJsonAtomic(path.join(outDir, SEED_RUNS_FILE), runs);
  for (const file of ['metrics.jsonl', 'metrics.csv']) {
    const parts = dirs.map((d) => path.join(d, file)).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8'));
    const text = file.endsWith('.csv') ? parts.map((p, i) => (i === 0 ? p : p.split('\n').slice(1).join('\n'))).join('') : parts.join('');
    await writeFileAtomic(path.join(outDir, file), text);
  }
  const samples = new Map<string, string>();
  for (const d of dirs) {
    const root = path.join(d, 'samples');
    if (!fs.existsSync(root)) continue;
    for (const v of fs.readdirSync(root)) for (const f of fs.readdirSync(path.join(root, v))) {
      const key = path.join(v, f);
      samples.set(key, (samples.get(key) ?? '') + fs.readFileSync(path.join(root, v, f), 'utf8'));
    }
  }
  for (const [key, text] of samples) await writeFileAtomic(path.join(outDir, 'samples', key), text);
  if (timings.length > 0) {
    const timing: QuickstartTiming = {
      ...timings[0],
      totalSeconds: Math.max(...timings.map((t) => t.totalSeconds)),
      cpuSeconds: timings.reduce((a, t) => a + t.cpuSeconds, 0),
      seeds: timings.flatMap((t) => t.seeds).sort((a, b) => a.seed - b.seed),
    };
    await writeJsonAtomic(path.join(outDir, 'timing.json'), timing);
  }
  return summary;
}

/**
 * Rebuild seed results from `metrics.jsonl` round-end rows, for a run that was stopped before it
 * wrote seed-runs.json: only variants that finished every round (the most rounds any variant
 * reached) count; π₀'s row is round 0 of `sft`.
 */
export function seedRunsFromMetrics(dir: string): SeedRun[] {
  const file = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) throw new ApogeeError(ERROR_CODES.DATA_INVALID, `${dir} has neither ${SEED_RUNS_FILE} nor metrics.jsonl.`);
  const rows = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { event: string; variant?: string; seed?: number; round?: number; metrics: Record<string, number | null> }];
      } catch {
        return []; // a truncated last line
      }
    })
    .filter((r) => r.event === 'round-end' && r.variant !== undefined && r.seed !== undefined);
  const rounds = Math.max(0, ...rows.map((r) => r.round ?? 0));
  const bySeed = new Map<number, SeedRun>();
  for (const r of rows) {
    const run = bySeed.get(r.seed!) ?? { seed: r.seed!, variants: {}, rounds: {} };
    bySeed.set(r.seed!, run);
    const metrics = Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, v === null ? NaN : v]));
    (run.rounds[r.variant!] ??= []).push({ round: r.round ?? 0, ...metrics });
  }
  for (const run of bySeed.values()) {
    for (const [variant, list] of Object.entries(run.rounds)) {
      const last = list[list.length - 1];
      if (variant === 'sft' || last.round === rounds) run.variants[variant] = last;
      else delete run.rounds[variant];
    }
  }
  return [...bySeed.values()];
}
