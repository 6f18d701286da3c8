// Entry of each child process of the LocalPoolExecutor (workerpool, workerType "process").
import * as workerpool from 'workerpool';
import { toWireError } from './remote-error';
import { DirectorySnapshotStore } from './snapshots';
import { runTask, WorkerCache } from './task-runner';
import type { TaskRef } from './contract';

const cache = new WorkerCache();

async function run(task: TaskRef, input: unknown, jobId: string, snapshotRoot: string): Promise<{ ok: true; value: unknown } | { ok: false; error: ReturnType<typeof toWireError> }> {
  const store = new DirectorySnapshotStore(snapshotRoot);
  try {
    return { ok: true, value: await runTask(task, input, { jobId, attempt: 1, snapshot: (h) => store.fetch(h), cache }) };
  } catch (e) {
    return { ok: false, error: toWireError(e) };
  }
}

workerpool.worker({ run });
