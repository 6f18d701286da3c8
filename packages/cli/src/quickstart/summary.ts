import { CLAIM_IDS, mean, meanFrontier, pairedClaim, std, type BestOfNRow, type Claim, type FrontierRow } from '@apogee/eval';
import type { SeedAnalysis } from './analysis';
import type { ReliabilityRow } from '@apogee/core';

/** The metrics of `summary.json`'s `variants.<name>`, exactly these names (other tools read them). */
export const SUMMARY_METRICS = [
  'goldReward',
  'goldRewardTestSampler',
  'proxyReward',
  'winRateVsSft',
  'rmAccuracyHuman',
  'rmAccuracyPolicy',
  'ece',
  'kl',
  'meanLength',
  'correct',
  'courtesy1',
  'courtesy2',
] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

/** Mean and population std over seeds; `null` in JSON where a value could not be computed. */
export interface Stat {
  mean: number | null;
  std: number | null;
}

/** Every seed's full results (`SeedRun[]`), next to summary.json: what per-seed comparisons and merges read. */
export const SEED_RUNS_FILE = 'seed-runs.json';

/** One seed's results: final-round metrics and every round's, per variant, and the seed's analysis. */
export interface SeedRun {
  seed: number;
  variants: Record<string, Record<string, number>>;
  rounds: Record<string, Array<Record<string, number>>>;
  /** Same-pair RM evaluation, best-of-n, world validity and the per-seed claim values. */
  analysis?: SeedAnalysis;
}

/** A reliability-diagram row of summary.json: core's, the one every evaluator's report part uses. */
export type { ReliabilityRow };

/** World-validity criteria of issue #13, per seed and overall. */
export interface WorldValidity {
  /** Seeds where the oracle beats π₀ by ≥ 0.10 with the prompt-bootstrap CI above 0. */
  oracleSeedsPassing: number;
  /** Seeds where RM_Base-driven RJS raised its RM score over π₀'s and ended ≥ 0.10 below the oracle. */
  overOptimisationSeedsPassing: number;
  /** Mean RM_Base accuracy on π₀-sample pairs, and its mean drop on the RJS policy's last-round pairs. */
  rmBaseAccuracyPi0: number | null;
  rmBaseAccuracyDrop: number | null;
  perSeed: Array<{ seed: number; oracleMinusPi0: number; ci95: [number, number]; oracleMinusRjs: number; rjsScoreRise: number; rmBaseAccPi0: number; rmBaseAccRjsFinal: number }>;
}

/** `summary.json` (docs/guides/run-directory.md). */
export interface QuickstartSummary {
  seeds: number[];
  backend: string;
  preset: string;
  /** Paired claims over seeds (issue #13): estimate, bootstrap CI, sign test. */
  claims?: Claim[];
  worldValidity?: WorldValidity;
  variants: Record<string, Record<SummaryMetric, Stat>>;
  perRound: Array<{ variant: string; round: number } & Record<string, Stat | string | number>>;
  /** Same-pair RM accuracy by round (mean over seeds) for every compared RM. */
  samePairs?: Array<{ round: number; rm: string; accuracy: Stat; pairs: number }>;
  /** Best-of-n on π₀'s pool, mean over seeds: selected gold against KL_bon = log n − (n − 1)/n. */
  bestOfN?: BestOfNRow[];
  /** Gold against KL, every round of every arm (mean over seeds; π₀ is round 0 of `sft`). */
  frontier?: FrontierRow[];
  reliability?: Record<string, ReliabilityRow[]>;
}

function stat(values: number[]): Stat {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { mean: null, std: null };
  return { mean: mean(finite), std: std(finite) };
}

const nullable = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Claims over seeds from each seed's claim values (seeds missing a value are left out of that claim). */
export function buildClaims(runs: readonly SeedRun[]): Claim[] {
  const claims: Claim[] = [];
  for (const id of CLAIM_IDS) {
    const perSeed = runs.flatMap((r) => {
      const v = r.analysis?.claimValues[id];
      return v === undefined || !Number.isFinite(v) ? [] : [{ seed: r.seed, value: v }];
    });
    if (perSeed.length > 0) claims.push(pairedClaim({ id, perSeed }));
  }
  return claims;
}

function worldValidity(runs: readonly SeedRun[]): WorldValidity | undefined {
  const analysed = runs.filter((r) => r.analysis);
  if (analysed.length === 0) return undefined;
  const perSeed = analysed.map((r) => {
    const a = r.analysis!;
    const rjs = r.variants.rjs?.proxyReward ?? NaN;
    return {
      seed: r.seed,
      oracleMinusPi0: a.validity.oracleMinusPi0,
      ci95: a.validity.oracleMinusPi0Ci95,
      oracleMinusRjs: a.claimValues['world.rmBaseOverOptimises'] ?? NaN,
      rjsScoreRise: rjs - a.validity.rmBaseScorePi0,
      rmBaseAccPi0: a.rmBaseOnPi0.accuracy,
      rmBaseAccRjsFinal: a.rmBaseOnRjsFinal.accuracy,
    };
  });
  const finite = (xs: number[]) => xs.filter((x) => Number.isFinite(x));
  const acc0 = finite(perSeed.map((s) => s.rmBaseAccPi0));
  const drops = finite(perSeed.map((s) => s.rmBaseAccPi0 - s.rmBaseAccRjsFinal));
  return {
    oracleSeedsPassing: perSeed.filter((s) => s.oracleMinusPi0 >= 0.1 && s.ci95[0] > 0).length,
    overOptimisationSeedsPassing: perSeed.filter((s) => s.rjsScoreRise > 0 && s.oracleMinusRjs >= 0.1).length,
    rmBaseAccuracyPi0: acc0.length > 0 ? mean(acc0) : null,
    rmBaseAccuracyDrop: drops.length > 0 ? mean(drops) : null,
    perSeed,
  };
}

/**
 * Aggregate seeds: the claims, world validity, each variant's final-round value of every
 * {@link SUMMARY_METRICS} entry as mean and std over seeds, one `perRound` row per variant and
 * round (round 0 is π₀'s `sft` row), same-pair RM accuracy, best-of-n and the gold-vs-KL frontier.
 */
export function buildSummary(
  runs: readonly SeedRun[],
  meta: { backend: string; preset: string; variants: readonly string[]; reliability?: Record<string, ReliabilityRow[]> },
): QuickstartSummary {
  const variants: QuickstartSummary['variants'] = {};
  const perRound: QuickstartSummary['perRound'] = [];
  const frontierRows: FrontierRow[] = [];
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
    for (const r of runs) {
      for (const m of r.rounds[name] ?? []) {
        if (Number.isFinite(m.kl) && Number.isFinite(m.goldReward)) frontierRows.push({ arm: name, round: m.round ?? 0, kl: m.kl, gold: m.goldReward, seed: r.seed });
      }
    }
  }
  const analysed = runs.filter((r) => r.analysis);
  const samePairs: NonNullable<QuickstartSummary['samePairs']> = [];
  const rounds = [...new Set(analysed.flatMap((r) => r.analysis!.samePairs.map((p) => p.round)))].sort((a, b) => a - b);
  for (const round of rounds) {
    const rows = analysed.map((r) => r.analysis!.samePairs.find((p) => p.round === round)).filter((p) => p !== undefined);
    const rms = [...new Set(rows.flatMap((p) => Object.keys(p!.accuracy)))];
    for (const rm of rms) samePairs.push({ round, rm, accuracy: stat(rows.map((p) => p!.accuracy[rm] ?? NaN)), pairs: rows.reduce((a, p) => a + p!.pairs, 0) });
  }
  const bonKeys = new Map<string, BestOfNRow[]>();
  for (const r of analysed) {
    for (const p of r.analysis!.bestOfN) {
      const key = `${p.rm}|${p.n}`;
      bonKeys.set(key, [...(bonKeys.get(key) ?? []), p]);
    }
  }
  const bestOfN: BestOfNRow[] = [...bonKeys.values()].map((rows) => {
    const golds = rows.map((x) => x.gold);
    return { rm: rows[0].rm, n: rows[0].n, kl: rows[0].kl, gold: mean(golds), goldStd: std(golds), seeds: rows.length };
  });
  const validity = worldValidity(runs);
  return {
    seeds: runs.map((r) => r.seed),
    backend: meta.backend,
    preset: meta.preset,
    ...(analysed.length > 0 ? { claims: buildClaims(runs) } : {}),
    ...(validity ? { worldValidity: { ...validity, rmBaseAccuracyPi0: validity.rmBaseAccuracyPi0 === null ? null : nullable(validity.rmBaseAccuracyPi0) } } : {}),
    variants,
    perRound,
    ...(samePairs.length > 0 ? { samePairs } : {}),
    ...(bestOfN.length > 0 ? { bestOfN } : {}),
    ...(frontierRows.length > 0 ? { frontier: meanFrontier(frontierRows) } : {}),
    ...(meta.reliability && Object.keys(meta.reliability).length > 0 ? { reliability: meta.reliability } : {}),
  };
}
