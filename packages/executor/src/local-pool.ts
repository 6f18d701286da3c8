import * as workerpool from 'workerpool';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import type { Executor, MapOptions, TaskRef } from './contract';
import { abortedError } from './in-process';
import { jobIdOf } from './job-id';
import { childNodeOptions, coreCount, ownScript } from './process-args';
import { fromWireError, type WireError } from './remote-error';
import { DirectorySnapshotStore } from './snapshots';

export interface LocalPoolOptions {
  /** Child processes; `auto` = the cores of this machine. Default `auto`. */
  workers?: number | 'auto';
  /**
   * Where snapshots are published for the children: a directory of this executor's own is made
   * under it and removed when the executor closes. Default: this machine's temp dir
   * (`$APOGEE_SNAPSHOT_DIR`, else `<tmp>/apogee-snapshots`).
   */
  snapshotDir?: string;
  /** Extra environment for the children. */
  env?: Record<string, string>;
}

/**
 * A pool of child processes on this machine, one job each at a time (workerpool with
 * `workerType: 'process'`). Processes rather than threads: each loads its own tensor backend and
 * BLAS library, so no native state is shared, and a crashed child takes only its job down (the
 * pool replaces it and the job fails with a message).
 */
export class LocalPoolExecutor implements Executor {
  readonly kind = 'local' as const;
  readonly size: number;
  private readonly snapshots: DirectorySnapshotStore;
  private pool?: workerpool.Pool;

  constructor(options: LocalPoolOptions = {}) {
    const w = options.workers ?? 'auto';
    if (w !== 'auto' && (!Number.isInteger(w) || w < 1)) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `executor.workers must be a whole number ≥ 1 or "auto", got ${JSON.stringify(w)}.`);
    }
    this.size = w === 'auto' ? coreCount() : w;
    this.snapshots = DirectorySnapshotStore.owned(options.snapshotDir);
    const child = childNodeOptions();
    this.env = { ...child.env, ...options.env };
    this.execArgv = child.execArgv;
  }

  private readonly env: Record<string, string>;
  private readonly execArgv: string[];

  private getPool(): workerpool.Pool {
    this.pool ??= workerpool.pool(ownScript('pool-worker'), {
      workerType: 'process',
      maxWorkers: this.size,
      forkOpts: { execArgv: this.execArgv, env: { ...process.env, ...this.env } },
    });
    return this.pool;
  }

  async workers(): Promise<number> {
    return this.size;
  }

  publish(dir: string): Promise<string> {
    return this.snapshots.publish(dir);
  }

  async map<I, O>(task: TaskRef, inputs: readonly I[], options: MapOptions = {}): Promise<O[]> {
    if (options.signal?.aborted) throw abortedError();
    const pool = this.getPool();
    let done = 0;
    const pending = inputs.map((input) => {
      const jobId = jobIdOf(task, input, options.label);
      return pool.exec('run', [task, input, jobId, this.snapshots.root]).then(
        (r: { ok: true; value: O } | { ok: false; error: WireError }) => {
          if (!r.ok) throw fromWireError(r.error, `Job ${jobId} (${task.module}#${task.name})`);
          done += 1;
          options.onProgress?.(done, inputs.length);
          return r.value;
        },
        (e: Error) => {
          throw new ApogeeError(ERROR_CODES.INTERNAL, `Job ${jobId} (${task.module}#${task.name}) lost its worker process: ${e.message}`, {
            hint: 'A child process of the local pool exited (out of memory?); lower executor.workers or run in-process.',
          });
        },
      );
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortedError());
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([Promise.all(pending), aborted]);
    } catch (e) {
      // Nothing of a failed or stopped map is wanted any more: drop queued jobs (running ones finish).
      for (const p of pending) p.catch(() => undefined);
      throw e;
    } finally {
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    // Force: by now every map has settled, so a task still running was abandoned (a stopped or
    // failed map); waiting for it would make Ctrl-C wait for a unit that nobody will read.
    await pool?.terminate(true);
    // The snapshots were for this executor's children only (a resumed run publishes again).
    await this.snapshots.dispose();
  }
}
