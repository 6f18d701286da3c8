import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { bestOfNBlockSchema, claimsBlockSchema, frontierBlockSchema, type BestOfNRow, type Claim, type FrontierRow } from '@apogee/eval';
import type { ZodType } from 'zod';
import { dedupeMetrics, readMetricsJsonl } from '../metrics/read-metrics';
import type { MetricsRow } from '../metrics/metrics-writer';

/** `{mean, std}` over seeds, or a single value. */
export type Stat = { mean: number; std: number };
export type StatLike = Stat | number;

/** One reliability-diagram bin (docs/guides/run-directory.md). */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  confidence: number;
  accuracy: number;
}

/** `summary.json` as the quickstart / run / train-rm write it; every part optional. */
export interface RunSummary {
  seeds?: number[];
  backend?: string;
  preset?: string;
  variants?: Record<string, Record<string, StatLike>>;
  perRound?: Array<{ variant: string; round: number; seed?: number } & Record<string, unknown>>;
  reliability?: Record<string, ReliabilityBin[]>;
  /** Paired per-seed claims (`pairedClaim` of @apogee/eval): the report's first table. */
  claims?: Claim[];
  /** Gold vs KL per arm and round (per seed or aggregated): the frontier chart. */
  frontier?: FrontierRow[];
  /** Best-of-n selected gold vs KL_bon per selector: the best-of-n chart. */
  bestOfN?: BestOfNRow[];
  /** train-rm: top-level metrics. */
  accuracy?: number;
  ece?: number;
  ace?: number;
  mce?: number;
  pairs?: number;
  [key: string]: unknown;
}

export interface SampleRecord {
  variant: string;
  round: number;
  queryId?: string;
  prompt: string;
  response: string;
  goldReward?: number;
  proxyReward?: number;
  seed?: number;
}

/** Everything the report reads from a run directory. */
export interface RunData {
  dir: string;
  summary: RunSummary;
  metrics: MetricsRow[];
  samples: SampleRecord[];
}

export function statMean(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (v && typeof v === 'object' && typeof (v as Stat).mean === 'number') return (v as Stat).mean;
  return undefined;
}

export function statStd(v: unknown): number | undefined {
  if (v && typeof v === 'object' && typeof (v as Stat).std === 'number') return (v as Stat).std;
  return undefined;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ApogeeError(ERROR_CODES.DATA_INVALID, `${file} is not valid JSON: ${(e as Error).message}.`, {
      hint: 'Re-run the command that wrote it, or fix the file by hand (docs/guides/run-directory.md describes it).',
    });
  }
}

/** `samples/<variant>/round-<r>.jsonl`. Unknown files are ignored. */
function readSamples(dir: string): SampleRecord[] {
  const root = path.join(dir, 'samples');
  if (!existsSync(root)) return [];
  const out: SampleRecord[] = [];
  for (const variant of readdirSync(root).sort()) {
    const vdir = path.join(root, variant);
    if (!statSync(vdir).isDirectory()) continue;
    for (const file of readdirSync(vdir).sort()) {
      const m = /^round-(\d+)\.jsonl$/.exec(file);
      if (!m) continue;
      const lines = readFileSync(path.join(vdir, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        let rec: Partial<SampleRecord>;
        try {
          rec = JSON.parse(line) as Partial<SampleRecord>;
        } catch (e) {
          throw new ApogeeError(ERROR_CODES.DATA_INVALID, `${path.join(vdir, file)}:${i + 1} is not JSON: ${(e as Error).message}.`, {
            hint: 'Each line of a samples file is one {"prompt", "response", …} object (docs/guides/run-directory.md).',
          });
        }
        if (typeof rec.prompt !== 'string' || typeof rec.response !== 'string') return;
        out.push({ ...rec, variant, round: Number(m[1]), prompt: rec.prompt, response: rec.response });
      });
    }
  }
  return out;
}

/** Read a run directory. It must hold at least `summary.json` or `metrics.jsonl`. */
export function readRunDir(dir: string): RunData {
  const summaryFile = path.join(dir, 'summary.json');
  const metricsFile = path.join(dir, 'metrics.jsonl');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${dir} is not a directory.`, {
      hint: 'Pass the directory a run, quickstart or train-rm wrote (it holds summary.json).',
    });
  }
  if (!existsSync(summaryFile) && !existsSync(metricsFile)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${dir} holds neither summary.json nor metrics.jsonl, so there is nothing to report.`, {
      hint: 'Pass the directory a run, quickstart or train-rm wrote (docs/guides/run-directory.md).',
    });
  }
  const summary = existsSync(summaryFile) ? (readJson(summaryFile) as RunSummary) : {};
  if (typeof summary !== 'object' || summary === null || Array.isArray(summary)) {
    throw new ApogeeError(ERROR_CODES.DATA_INVALID, `${summaryFile} is not a JSON object.`, {
      hint: 'See docs/guides/run-directory.md for its shape.',
    });
  }
  validateBlock(summaryFile, summary, 'claims', claimsBlockSchema);
  validateBlock(summaryFile, summary, 'frontier', frontierBlockSchema);
  validateBlock(summaryFile, summary, 'bestOfN', bestOfNBlockSchema);
  if (summary.reliability && typeof summary.reliability === 'object') {
    // Accept @apogee/eval's own bin shape ({meanP, meanY}) as well as {confidence, accuracy}.
    for (const [k, bins] of Object.entries(summary.reliability)) {
      if (!Array.isArray(bins)) continue;
      summary.reliability[k] = bins.map((b: ReliabilityBin & { meanP?: number; meanY?: number }) => ({
        lower: b.lower,
        upper: b.upper,
        count: b.count,
        confidence: b.confidence ?? b.meanP ?? NaN,
        accuracy: b.accuracy ?? b.meanY ?? NaN,
      }));
    }
  }
  return { dir, summary, metrics: dedupeMetrics(readMetricsJsonl(metricsFile)), samples: readSamples(dir) };
}

/**
 * Check an optional block of summary.json against @apogee/eval's schema; a bad entry is an error
 * naming the file and the field path (e.g. `claims[2].ci95`), never a broken chart.
 */
function validateBlock(file: string, summary: RunSummary, key: 'claims' | 'frontier' | 'bestOfN', schema: ZodType): void {
  if (summary[key] === undefined) return;
  const r = schema.safeParse(summary[key]);
  if (r.success) return;
  const issue = r.error.issues[0];
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  throw new ApogeeError(ERROR_CODES.DATA_INVALID, `${file}: "${key}${where}" ${issue.message}.`, {
    hint: `The ${key} block is what @apogee/eval writes (${key === 'claims' ? 'pairedClaim' : key === 'frontier' ? 'FrontierRow' : 'BestOfNRow'}); docs/concepts/evaluation.md describes its fields.`,
  });
}
