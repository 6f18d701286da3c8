import * as fs from 'node:fs';
import {
  ApogeeError,
  ERROR_CODES,
  sampleRecord,
  scoreEntries,
  textScoresRecord,
  type PreferenceItem,
  type SampleSet,
  type ScoredSampleSet,
} from '@apogee/core';

/**
 * A round's artifacts in the APO reference formats (docs/concepts/apo.md §8), so the reference tools can
 * read them, and read back exactly on resume:
 * - samples: JSON lines `{"query_id", "query", "sample_0", …, "sample_{n-1}"}`;
 * - APO items: JSON lines `{"text": ["<prompt><sep><golden>", "<prompt><sep><sample>"], "scores": [1, 0], "query_id", "type": "apo"}`;
 * - scores: one JSON array of `{"<query_id>:sample_<k>": score}` objects.
 * JSON numbers round-trip float64 exactly, so scores read back bit for bit. The records are core's
 * (`sampleRecord`, `textScoresRecord`, `scoreEntries`), the ones `@apogee/data` writes too.
 */

function jsonLines(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
}

function parseJsonLines(file: string): unknown[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    try {
      out.push(JSON.parse(lines[i]));
    } catch (cause) {
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${file}:${i + 1}: not valid JSON.`, {
        hint: 'The checkpoint artifact is damaged; resume from an intact run directory.',
        cause,
      });
    }
  }
  return out;
}

function bad(file: string, line: number, field: string, what: string): never {
  throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${file}:${line}: field "${field}" ${what}.`, {
    hint: 'The checkpoint artifact is damaged; resume from an intact run directory.',
  });
}

export function formatSamples(sets: readonly SampleSet[]): string {
  return jsonLines(sets.map(sampleRecord));
}

export function readSamples(file: string): SampleSet[] {
  return parseJsonLines(file).map((raw, i) => {
    const r = raw as Record<string, unknown>;
    if (typeof r.query_id !== 'string') bad(file, i + 1, 'query_id', 'is not a string');
    if (typeof r.query !== 'string') bad(file, i + 1, 'query', 'is not a string');
    const samples: string[] = [];
    for (let k = 0; `sample_${k}` in r; k++) {
      const v = r[`sample_${k}`];
      if (typeof v !== 'string') bad(file, i + 1, `sample_${k}`, 'is not a string');
      samples.push(v);
    }
    return { queryId: r.query_id, prompt: r.query, samples };
  });
}

export function formatApoItems(items: readonly PreferenceItem[]): string {
  return jsonLines(items.map((it) => textScoresRecord(it)));
}

/** Scores as the reference writes them: `[{"<query_id>:sample_<k>": score}, …]`. */
export function formatScores(sets: readonly ScoredSampleSet[]): string {
  return `${JSON.stringify(scoreEntries(sets))}\n`;
}

/** Read scores written by {@link formatScores} back onto their sample sets. */
export function readScores(file: string, sets: readonly SampleSet[]): ScoredSampleSet[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${file}: not valid JSON.`, { cause });
  }
  if (!Array.isArray(raw)) bad(file, 1, '(root)', 'is not an array');
  const byKey = new Map<string, number>();
  for (const entry of raw as unknown[]) {
    for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
      if (typeof value !== 'number') bad(file, 1, key, 'is not a number');
      byKey.set(key, value);
    }
  }
  return sets.map((s) => ({
    ...s,
    scores: s.samples.map((_, k) => {
      const key = `${s.queryId}:sample_${k}`;
      const v = byKey.get(key);
      if (v === undefined) bad(file, 1, key, 'is missing');
      return v;
    }),
  }));
}
