import { ApogeeError, ERROR_CODES, type Problem } from '@apogee/core';
import type { Container } from './source';
import { FLAG_NAMES, type DataFormat, type FlagName } from './formats';

/** What to do with malformed records: `error` reads everything, then throws listing all problems; `skip` drops and counts them. */
export type ValidationPolicy = 'error' | 'skip';
/** What to do with a suspicious-but-well-formed record. */
export type RuleAction = 'keep' | 'drop';

/** Per-file accounting: `read = kept + skipped + dropped`, always. */
export interface FileReport {
  file: string;
  gzip: boolean;
  container?: Container;
  format?: DataFormat;
  /** Whether the format was found from the content (false when given as an option). */
  detected: boolean;
  /** Records met in the file (non-blank lines, or array items). */
  read: number;
  /** Records returned to the caller. */
  kept: number;
  /** Malformed records skipped (policy `skip`) or rejected (policy `error`). */
  skipped: number;
  /** Well-formed records dropped by a rule. */
  dropped: number;
  /** Whether the whole file was read (false after a truncated gzip, broken JSON array, I/O error). */
  complete: boolean;
}

/** Everything a load did, over all its files. */
export interface LoadReport {
  files: FileReport[];
  read: number;
  kept: number;
  skipped: number;
  dropped: number;
  /** Records dropped per rule; sums to `dropped`. */
  droppedBy: Partial<Record<FlagName, number>>;
  /** Records per suspicious condition, kept or dropped (one record may raise several). */
  flagged: Record<FlagName, number>;
  /** The first `maxListed` problems, in file order. */
  problems: Problem[];
  /** All problems found, listed or not. */
  problemCount: number;
}

export function emptyReport(): LoadReport {
  const flagged = Object.fromEntries(FLAG_NAMES.map((f) => [f, 0])) as Record<FlagName, number>;
  return { files: [], read: 0, kept: 0, skipped: 0, dropped: 0, droppedBy: {}, flagged, problems: [], problemCount: 0 };
}

/** The report as a few lines a person reads. */
export function formatLoadReport(report: LoadReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    const how = [f.format ?? 'unknown format', f.container, f.gzip ? 'gzip' : undefined].filter(Boolean).join(', ');
    lines.push(
      `${f.file} (${how}${f.detected ? ', detected' : ''}): read ${f.read}, kept ${f.kept}, skipped ${f.skipped}, dropped ${f.dropped}${f.complete ? '' : ', INCOMPLETE'}`,
    );
  }
  const flags = Object.entries(report.flagged).filter(([, n]) => n > 0);
  if (flags.length > 0) {
    const dropped = report.droppedBy as Record<string, number>;
    lines.push(`flagged: ${flags.map(([k, n]) => `${k} ${n}${dropped[k] ? ` (${dropped[k]} dropped)` : ''}`).join(', ')}`);
  }
  if (report.problemCount > 0) {
    lines.push(`${report.problemCount} problem${report.problemCount === 1 ? '' : 's'}:`);
    for (const p of report.problems) lines.push(`  - ${p.path}: ${p.message}`);
    if (report.problemCount > report.problems.length) lines.push(`  … and ${report.problemCount - report.problems.length} more`);
  }
  return lines.join('\n');
}

/** The DATA_INVALID error for a report with problems. */
export function dataError(report: LoadReport, skipHint: string | null = 'load with policy "skip"'): ApogeeError {
  const files = report.files.filter((f) => f.skipped > 0 || !f.complete).map((f) => f.file);
  const where = files.length === 1 ? files[0] : files.length > 1 ? `${files.length} files` : report.files.map((f) => f.file).join(', ');
  const more = report.problemCount - report.problems.length;
  const problems = more > 0 ? [...report.problems, { path: '…', message: `and ${more} more problem${more === 1 ? '' : 's'} not listed` }] : report.problems;
  return new ApogeeError(
    ERROR_CODES.DATA_INVALID,
    `${where}: ${report.problemCount} problem${report.problemCount === 1 ? '' : 's'} in the data (${report.skipped} malformed record${report.skipped === 1 ? '' : 's'} of ${report.read} read).`,
    {
      problems,
      maxProblems: Infinity, // listed up to the load's own maxListed, with a count of the rest
      hint: skipHint
        ? `Fix the listed records, or ${skipHint} to skip malformed records (they are counted in the load report).`
        : 'Fix or remove the listed records.',
    },
  );
}
