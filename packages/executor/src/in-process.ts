import { ApogeeError, ERROR_CODES } from '@apogee/core';
import type { Executor, MapOptions, TaskRef } from './contract';
import { jobIdOf } from './job-id';
import { DirectorySnapshotStore } from './snapshots';
import { runTask, WorkerCache } from './task-runner';

/** Where executors stop when their signal fires. */
export function abortedError(): ApogeeError {
  return new ApogeeError(ERROR_CODES.ABORTED, 'Stopped on request.');
}

/**
 * Today's behaviour: every job in this process, one after another, in input order. The reference
 * the other executors are compared with (same outputs, byte for byte).
 */
export class InProcessExecutor implements Executor {
  readonly kind = 'in-process' as const;
  private readonly cache = new WorkerCache();

  constructor(private readonly snapshots = DirectorySnapshotStore.owned()) {}

  async workers(): Promise<number> {
    return 1;
  }

  publish(dir: string): Promise<string> {
    return this.snapshots.publish(dir);
  }

  async map<I, O>(task: TaskRef, inputs: readonly I[], options: MapOptions = {}): Promise<O[]> {
    const out: O[] = [];
    for (const input of inputs) {
      if (options.signal?.aborted) throw abortedError();
      const jobId = jobIdOf(task, input, options.label);
      out.push((await runTask(task, input, { jobId, attempt: 1, snapshot: (h) => this.snapshots.fetch(h), cache: this.cache })) as O);
      options.onProgress?.(out.length, inputs.length);
    }
    return out;
  }

  /** Releases cached models and removes the snapshots this executor published (when its store is its own). */
  async close(): Promise<void> {
    await this.cache.clear();
    await this.snapshots.dispose();
  }
}
