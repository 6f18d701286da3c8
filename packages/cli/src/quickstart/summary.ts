import { mean, std } from '@apogee/eval';
import type { ReliabilityRow } from '@apogee/core';

/** The metrics of `summary.json`'s `variants.<name>`, exactly these names (other tools read them). */
export const SUMMARY_METRICS = [
  'goldReward',
  'proxyReward',
  'winRateVsSft',
  'rmAccuracyHuman',
  'rmAccuracyPolicy',
  'ece',
  'kl',
  'meanLength',
] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

/** Mean and population std over seeds; `null` in JSON where a value could not be computed. */
export interface Stat {
  mean: number | null;
  std: number | null;
}

/** Every seed's full results (`SeedRun[]`), next to summary.json: what per-seed comparisons and merges read. */
export const SEED_RUNS_FILE = 'seed-runs.json';

/** One seed's results: final-round metrics and every round's, per variant. */
export interface SeedRun {
  seed: number;
  variants: Record<string, Record<string, number>>;
  rounds: Record<string, Array<Record<string, number>>>;
}

/** A reliability-diagram row of summary.json: core's, the one every evaluator's report part uses. */
export type { ReliabilityRow };

/** `summary.json` (docs/guides/run-directory.md). */
export interface QuickstartSummary {
  seeds: number[];
  backend: string;
  preset: string;
  variants: Record<string, Record<SummaryMetric, Stat>>;
  perRound: Array<{ variant: string; round: number } & Record<string, Stat | string | number>>;
  reliability?: Record<string, ReliabilityRow[]>;
}

function stat(values: number[]): Stat {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { mean: null, std: null };
  return { mean: mean(finite), std: std(finite) };
}

/**
 * Aggregate seeds: each variant's final-round value of every {@link SUMMARY_METRICS} entry as mean
 * and std over seeds, and one `perRound` row per variant and round with every metric the rounds
 * reported (round 0 is π₀'s `sft` row).
 */
export function buildSummary(
  runs: readonly SeedRun[],
  meta: { backend: string; preset: string; variants: readonly string[]; reliability?: Record<string, ReliabilityRow[]> },
): QuickstartSummary {
  const variants: QuickstartSummary['variants'] = {};
  const perRound: QuickstartSummary['perRound'] = [];
  for (const name of meta.variants) {
    const finals = runs.map((r) => r.variants[name]).filter((m): m is Record<string, number> => m !== undefined);
    if (finals.length === 0) continue;
    variants[name] = Object.fromEntries(SUMMARY_METRICS.map((k) => [k, stat(finals.map((m) => m[k] ?? NaN))])) as Record<SummaryMetric, Stat>;
    const roundNumbers = [...new Set(runs.flatMap((r) => (r.rounds[name] ?? []).map((m, i) => m.round ?? i + 1)))].sort((a, b) => a - b);
    for (const round of roundNumbers) {
      const rows = runs.map((r) => (r.rounds[name] ?? []).find((m, i) => (m.round ?? i + 1) === round)).filter((m): m is Record<string, number> => m !== undefined);
      const keys = [...new Set(rows.flatMap((m) => Object.keys(m)))].filter((k) => k !== 'round').sort();
      perRound.push({ variant: name, round, ...Object.fromEntries(keys.map((k) => [k, stat(rows.map((m) => m[k] ?? NaN))])) });
    }
  }
  return {
    seeds: runs.map((r) => r.seed),
    backend: meta.backend,
    preset: meta.preset,
    variants,
    perRound,
    ...(meta.reliability && Object.keys(meta.reliability).length > 0 ? { reliability: meta.reliability } : {}),
  };
}
