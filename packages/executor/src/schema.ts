import { z } from 'zod';

/**
 * Where a run's sample / score / evaluate jobs run (`executor:` in a config file):
 * - `{ kind: in-process }`: in the run's own process, one job at a time;
 * - `{ kind: local, workers: N | auto }`: a pool of child processes on this machine (`auto`: one per core);
 * - `{ kind: bullmq, url: redis://host:port }`: a BullMQ queue on Redis, served by `apogee worker`.
 * Every kind gives the same numbers (docs/concepts/scale-out.md).
 */
export const executorConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('in-process') }).strict(),
  z
    .object({
      kind: z.literal('local'),
      /** Child processes (`auto`: the cores of this machine). */
      workers: z.union([z.number().int().min(1).max(1024), z.literal('auto')]).default('auto').describe('Child processes; auto = one per core.'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('bullmq'),
      /** The Redis server of the queue. */
      url: z.string().regex(/^rediss?:\/\//, 'must be a Redis URL such as redis://127.0.0.1:6379').describe('redis://host:port of the queue'),
      /** Queue name; workers must serve the same one. */
      queue: z.string().min(1).default('apogee').describe('Queue name (apogee worker --queue-name).'),
      /** Tries per job (a worker lost mid-job counts as one). */
      attempts: z.number().int().min(1).max(100).default(3).describe('Tries per job before the run fails.'),
      /** Seconds without any connected worker before the run stops with an error. */
      noWorkerTimeoutS: z.number().positive().default(60).describe('Seconds without a connected worker before the run fails with a message.'),
      /** A directory every machine mounts at the same path, for snapshots too big to pass through Redis. */
      snapshotDir: z.string().min(1).optional().describe('Shared directory for weight snapshots (default: Redis).'),
    })
    .strict(),
]);

export type ExecutorConfig = z.infer<typeof executorConfigSchema>;
export type ExecutorConfigInput = z.input<typeof executorConfigSchema>;
