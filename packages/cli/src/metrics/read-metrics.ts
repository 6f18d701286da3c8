import { existsSync, readFileSync } from 'node:fs';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import type { MetricsRow } from './metrics-writer';

/**
 * Read `metrics.jsonl`. Blank lines are skipped; a malformed line is an error naming its line,
 * except a truncated last line (a run killed mid-write), which is skipped.
 */
export function readMetricsJsonl(file: string): MetricsRow[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const rows: MetricsRow[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const row = JSON.parse(line) as MetricsRow;
      if (typeof row !== 'object' || row === null || typeof row.event !== 'string') throw new Error('no "event" field');
      rows.push({ ...row, metrics: row.metrics ?? {} });
    } catch (e) {
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (isLast) return;
      throw new ApogeeError(ERROR_CODES.DATA_INVALID, `${file}:${i + 1} is not a metrics row: ${(e as Error).message}.`, {
        hint: 'metrics.jsonl holds one JSON object per line (docs/guides/run-directory.md); fix or remove that line.',
      });
    }
  });
  return rows;
}

/** Keep the last row per (event, variant, seed, round, phase, step): rows re-logged after a resume win. */
export function dedupeMetrics(rows: readonly MetricsRow[]): MetricsRow[] {
  const byKey = new Map<string, MetricsRow>();
  for (const r of rows) byKey.set(JSON.stringify([r.event, r.variant, r.seed, r.round, r.phase, r.step]), r);
  return [...byKey.values()];
}
