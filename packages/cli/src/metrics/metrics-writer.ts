import { appendFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { repairLastLine } from '../run/run-dir';
import type { PhaseEndEvent, RoundCallback, RoundEndEvent, RunStartEvent, StepEvent } from '@apogee/core';

/** Which run a row belongs to, when several variants or seeds share one directory. */
export interface MetricsTags {
  variant?: string;
  seed?: number;
}

/** One row of `metrics.jsonl` (documented in docs/guides/run-directory.md). */
export interface MetricsRow extends MetricsTags {
  /** ISO-8601 time the row was written. */
  time: string;
  event: 'run-start' | 'step' | 'phase-end' | 'round-end';
  round?: number;
  phase?: string;
  step?: number;
  /** Non-finite values are written as `null` (JSON has no NaN). */
  metrics: Record<string, number | null>;
}

export const METRICS_JSONL = 'metrics.jsonl';
export const METRICS_CSV = 'metrics.csv';
/** Long ("tidy") CSV: one row per metric value, so new metrics never change the header. */
export const METRICS_CSV_HEADER = 'time,event,variant,seed,round,phase,step,metric,value';

function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A RoundCallback that appends every step, phase end and round end to `metrics.jsonl` and
 * `metrics.csv` in the run directory. Appending (not rewriting) means a crash loses at most the
 * line being written and an interrupted run's rows survive; `apogee resume` cuts off a cut last
 * line, then appends to the same files (a phase that re-runs after resume logs its rows again; readers keep the last row per key).
 */
export class MetricsWriter implements RoundCallback {
  readonly jsonlFile: string;
  readonly csvFile: string;

  constructor(
    readonly dir: string,
    private readonly tags: MetricsTags = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dir, { recursive: true });
    this.jsonlFile = path.join(dir, METRICS_JSONL);
    this.csvFile = path.join(dir, METRICS_CSV);
    // A crash mid-append leaves a cut last line; appending after it would glue the next row to it
    // (issue 17): cut it off first. The row it held was never complete.
    repairLastLine(this.jsonlFile);
    repairLastLine(this.csvFile);
    if (!existsSync(this.csvFile) || statSync(this.csvFile).size === 0) writeFileSync(this.csvFile, `${METRICS_CSV_HEADER}\n`);
  }

  /** The same writer with other tags (one per variant/seed, same files). */
  withTags(tags: MetricsTags): MetricsWriter {
    return new MetricsWriter(this.dir, { ...this.tags, ...tags }, this.now);
  }

  /** Append one row to both files. */
  write(row: Omit<MetricsRow, 'time' | keyof MetricsTags> & Partial<MetricsTags>): MetricsRow {
    const full: MetricsRow = { time: this.now().toISOString(), ...this.tags, ...row, metrics: finite(row.metrics) };
    const ordered: MetricsRow = {
      time: full.time,
      event: full.event,
      ...(full.variant !== undefined ? { variant: full.variant } : {}),
      ...(full.seed !== undefined ? { seed: full.seed } : {}),
      ...(full.round !== undefined ? { round: full.round } : {}),
      ...(full.phase !== undefined ? { phase: full.phase } : {}),
      ...(full.step !== undefined ? { step: full.step } : {}),
      metrics: full.metrics,
    };
    appendFileSync(this.jsonlFile, `${JSON.stringify(ordered)}\n`);
    const prefix = [ordered.time, ordered.event, ordered.variant, ordered.seed, ordered.round, ordered.phase, ordered.step].map(csvField).join(',');
    const lines = Object.entries(ordered.metrics).map(([k, v]) => `${prefix},${csvField(k)},${v === null ? 'NaN' : v}\n`);
    if (lines.length > 0) appendFileSync(this.csvFile, lines.join(''));
    return ordered;
  }

  onRunStart(e: RunStartEvent): void {
    this.write({
      event: 'run-start',
      metrics: { rounds: e.rounds, runSeed: e.seed, ...(e.resumedFrom ? { resumedFromRound: e.resumedFrom.round } : {}) },
    });
  }

  onStep(e: StepEvent): void {
    this.write({
      event: 'step',
      round: e.round,
      phase: e.phase,
      step: e.step,
      metrics: { loss: e.loss, lr: e.lr, gradNorm: e.gradNorm, ...e.metrics },
    });
  }

  onPhaseEnd(e: PhaseEndEvent): void {
    this.write({ event: 'phase-end', round: e.round, phase: e.phase, metrics: e.metrics });
  }

  onRoundEnd(e: RoundEndEvent): void {
    this.write({ event: 'round-end', round: e.round, metrics: e.metrics });
  }
}

function finite(metrics: Record<string, number | null>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = typeof v === 'number' && Number.isFinite(v) ? v : null;
  return out;
}
