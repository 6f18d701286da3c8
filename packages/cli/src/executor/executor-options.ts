import { ApogeeError, ERROR_CODES } from '@apogee/core';
import type { ExecutorConfig } from '@apogee/executor';

/** `--workers N|auto`: N ≥ 2 (or auto on a multi-core machine) is a local pool, 1 runs in-process. */
export function parseWorkers(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--workers must be a whole number from 1 to 1024 or "auto", got "${v}".`, {
      hint: '1 runs every job in this process; N starts a local pool of N processes; auto: one per core.',
    });
  }
  return n;
}

/** `--queue URL`: a Redis URL. */
export function parseQueue(v: string): string {
  if (!/^rediss?:\/\/[^/]/.test(v)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--queue must be a Redis URL such as redis://127.0.0.1:6379, got "${v}".`);
  }
  return v;
}

/**
 * The executor of a command: `--queue` (a BullMQ queue) or `--workers` (a local pool, or in-process
 * for 1) override the config's `executor`; with neither, the config's, else `fallback`.
 */
export function resolveExecutorConfig(
  flags: { workers?: number | 'auto'; queue?: string },
  fromConfig: ExecutorConfig | undefined,
  fallback: ExecutorConfig = { kind: 'in-process' },
): ExecutorConfig {
  if (flags.workers !== undefined && flags.queue !== undefined) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'Give either --workers (this machine) or --queue (a BullMQ queue), not both.');
  }
  if (flags.queue !== undefined) {
    return { kind: 'bullmq', url: flags.queue, queue: 'apogee', attempts: 3, noWorkerTimeoutS: 60, ...(fromConfig?.kind === 'bullmq' ? { queue: fromConfig.queue, attempts: fromConfig.attempts, noWorkerTimeoutS: fromConfig.noWorkerTimeoutS, snapshotDir: fromConfig.snapshotDir } : {}) };
  }
  if (flags.workers === 1) return { kind: 'in-process' };
  if (flags.workers !== undefined) return { kind: 'local', workers: flags.workers };
  return fromConfig ?? fallback;
}

/** `in-process`, `local (2 workers)`, `bullmq redis://… (3 workers)`: for log lines. */
export function describeExecutorConfig(c: ExecutorConfig, workers: number): string {
  if (c.kind === 'in-process') return 'in-process';
  if (c.kind === 'local') return `local pool (${workers} worker${workers === 1 ? '' : 's'})`;
  return `BullMQ queue "${c.queue}" at ${c.url} (${workers} worker${workers === 1 ? '' : 's'} connected)`;
}
