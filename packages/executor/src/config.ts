import { ApogeeError, ERROR_CODES } from '@apogee/core';
import type { Executor } from './contract';
import { InProcessExecutor } from './in-process';
import { LocalPoolExecutor } from './local-pool';
import { DirectorySnapshotStore } from './snapshots';
import { executorConfigSchema, type ExecutorConfigInput } from './schema';

export { executorConfigSchema, type ExecutorConfig, type ExecutorConfigInput } from './schema';


/** Build the executor a config names. */
export function createExecutor(config: ExecutorConfigInput): Executor {
  const parsed = executorConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new ApogeeError(ERROR_CODES.CONFIG_INVALID, 'The executor settings are invalid:', {
      problems: parsed.error.issues.map((i) => ({ path: ['executor', ...i.path.map(String)].join('.'), message: i.message })),
      hint: 'executor is { kind: in-process }, { kind: local, workers: N | auto } or { kind: bullmq, url: redis://HOST:PORT }.',
    });
  }
  const c = parsed.data;
  switch (c.kind) {
    case 'in-process':
      return new InProcessExecutor(DirectorySnapshotStore.owned());
    case 'local':
      return new LocalPoolExecutor({ workers: c.workers });
    case 'bullmq': {
      // Loaded on use: BullMQ and ioredis cost a quarter of a second to load.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { BullMqExecutor } = require('./bullmq') as typeof import('./bullmq');
      return new BullMqExecutor({ url: c.url, queue: c.queue, attempts: c.attempts, noWorkerTimeoutMs: c.noWorkerTimeoutS * 1000, snapshotDir: c.snapshotDir });
    }
  }
}

/** A one-line description for logs and metrics: `local (2 workers)`. */
export async function describeExecutor(executor: Executor): Promise<{ kind: string; workers: number }> {
  return { kind: executor.kind, workers: await executor.workers() };
}
