import { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ApogeeError, ERROR_CODES, isApogeeError } from '@apogee/core';
import type { Executor, MapOptions, TaskRef } from './contract';
import { abortedError } from './in-process';
import { jobIdOf } from './job-id';
import { checkRedis, checkRedisUrl, displayUrl, redisConnection, RedisSnapshotStore } from './redis';
import { fromWireError, toWireError, type WireError } from './remote-error';
import { runTask, WorkerCache } from './task-runner';

/** The queue apogee's jobs go through unless told otherwise. */
export const DEFAULT_QUEUE = 'apogee';

/** What a job carries: the task to run and its input. */
interface JobData {
  task: TaskRef;
  input: unknown;
}

export interface BullMqExecutorOptions {
  /** `redis://host:port`. */
  url: string;
  /** Queue name (workers must serve the same one). Default `apogee`. */
  queue?: string;
  /** Tries per job before the run fails (a worker lost mid-job counts as a try). Default 3. */
  attempts?: number;
  /** Give up when no worker has been connected for this long. Default 60 s. */
  noWorkerTimeoutMs?: number;
  /** Give up when workers are connected but no job has finished for this long. Default 30 min. */
  stallTimeoutMs?: number;
  /** A directory every machine mounts at the same path, for snapshots too big for Redis. */
  snapshotDir?: string;
  /** Seconds finished jobs' results stay in Redis (reused by a resumed coordinator). Default 1 day. */
  keepResultsS?: number;
}

/**
 * A BullMQ queue on Redis: the coordinator adds one job per shard (id = hash of task and input,
 * so a job already finished by an earlier, interrupted coordinator is not run again), and any
 * number of `apogee worker --queue URL` processes on any machines take them. A worker killed
 * mid-job loses its lock; BullMQ's stalled-job check hands the job to another worker (bounded by
 * `attempts`). Results come back in input order.
 */
export class BullMqExecutor implements Executor {
  readonly kind = 'bullmq' as const;
  readonly url: string;
  readonly queueName: string;
  private connection?: Redis;
  private queue?: Queue;
  private events?: QueueEvents;
  private eventsConnection?: Redis;
  private snapshots?: RedisSnapshotStore;
  private lastError?: Error;

  constructor(private readonly options: BullMqExecutorOptions) {
    this.url = checkRedisUrl(options.url);
    this.queueName = options.queue ?? DEFAULT_QUEUE;
  }

  /** Check Redis answers, then open the queue. Called by the first `map`/`publish`; call it early for an early error. */
  async open(): Promise<void> {
    if (this.queue) return;
    await checkRedis(this.url);
    this.connection = redisConnection(this.url, (e) => (this.lastError = e));
    this.queue = new Queue(this.queueName, { connection: this.connection });
    this.queue.on('error', (e) => (this.lastError = e));
    this.eventsConnection = redisConnection(this.url, (e) => (this.lastError = e));
    this.events = new QueueEvents(this.queueName, { connection: this.eventsConnection });
    this.events.on('error', (e) => (this.lastError = e));
    // Each job being waited for listens on the queue and its events until it finishes (BullMQ's
    // waitUntilFinished): a phase of more than ten jobs is normal, not a listener leak.
    this.queue.setMaxListeners(0);
    this.events.setMaxListeners(0);
    await this.events.waitUntilReady();
    this.snapshots = new RedisSnapshotStore(this.connection, this.url, { sharedDir: this.options.snapshotDir });
  }

  async workers(): Promise<number> {
    await this.open();
    return this.queue!.getWorkersCount();
  }

  async publish(dir: string): Promise<string> {
    await this.open();
    return this.snapshots!.publish(dir);
  }

  private where(): string {
    return `queue "${this.queueName}" at ${displayUrl(this.url)}`;
  }

  async map<I, O>(task: TaskRef, inputs: readonly I[], options: MapOptions = {}): Promise<O[]> {
    await this.open();
    if (options.signal?.aborted) throw abortedError();
    const queue = this.queue!;
    const ids = inputs.map((input) => jobIdOf(task, input, options.label));
    // A job of the same id that failed in an earlier call is tried again; finished ones are reused.
    // Looked up before this call adds its jobs, so a job of this call that fails at once is never
    // mistaken for an earlier failure and run twice.
    for (const id of new Set(ids)) {
      const job = await Job.fromId(queue, id);
      if (job && (await job.getState()) === 'failed') await job.retry('failed');
    }
    const keep = this.options.keepResultsS ?? 24 * 3600;
    await queue.addBulk(
      inputs.map((input, i) => ({
        name: `${task.name}`,
        data: { task, input } satisfies JobData,
        opts: {
          jobId: ids[i],
          attempts: this.options.attempts ?? 3,
          backoff: { type: 'fixed', delay: 500 },
          removeOnComplete: { age: keep },
          removeOnFail: { age: keep },
        },
      })),
    );

    let done = 0;
    let lastProgress = Date.now();
    const results = ids.map((id) =>
      this.waitFor<O>(id).then((value) => {
        done += 1;
        lastProgress = Date.now();
        options.onProgress?.(done, inputs.length);
        return value;
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortedError());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const noWorker = this.options.noWorkerTimeoutMs ?? 60_000;
      const stall = this.options.stallTimeoutMs ?? 30 * 60_000;
      let noWorkerSince: number | undefined;
      const check = async () => {
        let count: number | undefined;
        try {
          count = await queue.getWorkersCount();
        } catch (e) {
          this.lastError = e as Error;
        }
        const now = Date.now();
        if (count === 0 || count === undefined) noWorkerSince ??= now;
        else noWorkerSince = undefined;
        if (noWorkerSince !== undefined && now - noWorkerSince >= noWorker) {
          const s = Math.round((now - noWorkerSince) / 1000);
          reject(
            count === undefined
              ? new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Lost Redis at ${displayUrl(this.url)} for ${s} s (${this.lastError?.message ?? 'no answer'}); ${done} of ${inputs.length} jobs had finished.`, {
                  hint: 'Check redis-server is running; finished jobs are kept, so a resumed run does not redo them.',
                })
              : new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `No worker has served ${this.where()} for ${s} s; ${done} of ${inputs.length} jobs had finished.`, {
                  hint: `Start one or more workers: apogee worker --queue ${displayUrl(this.url)}${this.queueName === DEFAULT_QUEUE ? '' : ` --queue-name ${this.queueName}`}`,
                }),
          );
          return;
        }
        if (now - lastProgress >= stall) {
          reject(
            new ApogeeError(ERROR_CODES.INTERNAL, `No job of ${this.where()} finished in ${Math.round(stall / 1000)} s although ${count} worker(s) are connected; ${done} of ${inputs.length} jobs had finished.`, {
              hint: 'The workers may be busy with another run, or stuck; see their output.',
            }),
          );
          return;
        }
        timer = setTimeout(() => void check(), Math.min(2000, noWorker / 4));
      };
      timer = setTimeout(() => void check(), Math.min(2000, noWorker / 4));
    });
    try {
      return await Promise.race([Promise.all(results), watchdog]);
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      for (const r of results) r.catch(() => undefined);
      watchdog.catch(() => undefined);
    }
  }

  /** The result of job `id`: from its completion event, or at once when it had already finished. */
  private async waitFor<O>(id: string): Promise<O> {
    const job = await Job.fromId<JobData, O>(this.queue!, id);
    if (!job) throw new ApogeeError(ERROR_CODES.INTERNAL, `Job ${id} vanished from ${this.where()}.`);
    try {
      return (await job.waitUntilFinished(this.events!)) as O;
    } catch (e) {
      throw this.jobError(id, job.data.task, (e as Error).message);
    }
  }

  private jobError(id: string, task: TaskRef, reason: string): Error {
    let wire: WireError | undefined;
    try {
      const parsed = JSON.parse(reason) as WireError;
      if (parsed && typeof parsed.message === 'string') wire = parsed;
    } catch {
      // a plain message
    }
    return fromWireError(wire ?? { name: 'Error', message: reason }, `Job ${id} (${task.module}#${task.name}) on ${this.where()}`);
  }

  async close(): Promise<void> {
    const { events, queue, connection, eventsConnection } = this;
    this.events = this.queue = this.connection = this.eventsConnection = undefined;
    await events?.close();
    await queue?.close();
    connection?.disconnect();
    eventsConnection?.disconnect();
  }
}

export interface QueueWorkerOptions {
  url: string;
  queue?: string;
  /** Jobs this process runs at once (they share one JS thread: 1 suits tensor work). Default 1. */
  concurrency?: number;
  /** A job's lock lasts this long and is renewed at half of it; a killed worker's job is retried after it lapses. Default 30 s. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock lapsed. Default 30 s. */
  stalledIntervalMs?: number;
  /** Called for each job started / finished / failed (the CLI prints them). */
  onEvent?: (e: { type: 'start' | 'done' | 'failed'; jobId: string; task: string; attempt: number; ms?: number; error?: string }) => void;
  onError?: (e: Error) => void;
}

/** A worker serving the queue, as `apogee worker` starts it. */
export interface QueueWorker {
  readonly url: string;
  readonly queue: string;
  /** Finish the jobs in hand (or drop them with `force`) and disconnect. */
  close(force?: boolean): Promise<void>;
}

/**
 * Serve the queue: take jobs, run their tasks (snapshots fetched from Redis or the shared
 * directory once and cached), and return their outputs. An apogee error in a task (bad input) fails
 * the job at once; any other error is retried up to the job's attempts.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const url = checkRedisUrl(options.url, '--queue');
  await checkRedis(url);
  const queueName = options.queue ?? DEFAULT_QUEUE;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--concurrency must be a whole number ≥ 1, got ${concurrency}.`);
  }
  const connection = redisConnection(url, options.onError);
  const workerConnection = redisConnection(url, options.onError);
  const snapshots = new RedisSnapshotStore(connection, url);
  const cache = new WorkerCache();
  const worker = new Worker<JobData>(
    queueName,
    async (job) => {
      const started = Date.now();
      const attempt = job.attemptsMade + 1;
      options.onEvent?.({ type: 'start', jobId: job.id!, task: job.data.task.name, attempt });
      try {
        const out = await runTask(job.data.task, job.data.input, { jobId: job.id!, attempt, snapshot: (h) => snapshots.fetch(h), cache });
        options.onEvent?.({ type: 'done', jobId: job.id!, task: job.data.task.name, attempt, ms: Date.now() - started });
        return out;
      } catch (e) {
        options.onEvent?.({ type: 'failed', jobId: job.id!, task: job.data.task.name, attempt, error: (e as Error).message });
        if (isApogeeError(e)) throw new UnrecoverableError(JSON.stringify(toWireError(e)));
        throw e;
      }
    },
    {
      connection: workerConnection,
      concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: 2,
    },
  );
  worker.on('error', (e) => options.onError?.(e));
  await worker.waitUntilReady();
  return {
    url,
    queue: queueName,
    close: async (force = false) => {
      await worker.close(force);
      await cache.clear();
      connection.disconnect();
      workerConnection.disconnect();
    },
  };
}
