import type { Command } from 'commander';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import type { CommandContext } from '../context';
import { parseQueue } from '../executor/executor-options';
import { examples } from './examples';

function concurrency(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--concurrency must be a whole number from 1 to 256, got "${v}".`);
  return n;
}

function lockSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1 || n > 3600) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--lock-timeout must be a number of seconds from 1 to 3600, got "${v}".`);
  return n;
}

export function registerWorkerCommand(program: Command, ctx: CommandContext): void {
  program
    .command('worker')
    .description("serve a BullMQ queue on Redis: take sample / score / evaluate jobs of runs started with --queue (or executor: { kind: bullmq }) and run them on this machine")
    .requiredOption('--queue <url>', 'the Redis server of the queue, redis://HOST:PORT', parseQueue)
    .option('--concurrency <n>', 'jobs at once in this process (they share one JS thread: start one worker per core instead)', concurrency, 1)
    .option('--queue-name <name>', 'queue name (executor.queue of the runs)', 'apogee')
    .option('--lock-timeout <s>', "seconds before a job of a worker that died (or hangs) is handed to another; jobs longer than this keep their lock by renewing it", lockSeconds, 30)
    .addHelpText(
      'after',
      `${examples('redis-server --bind 0.0.0.0 --protected-mode no   # on the coordinator', 'apogee worker --queue redis://10.0.0.5:6379          # on each worker machine, once per core')}
Runs until Ctrl-C, which finishes the jobs in hand first. A worker killed mid-job loses nothing: after its
lock lapses (--lock-timeout, 30 s) another worker takes the job. docs/guides/scale-out.md has the whole set-up.
`,
    )
    .action(async (opts: { queue: string; concurrency: number; queueName: string; lockTimeout: number }) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startQueueWorker, displayUrl } = require('@apogee/executor') as typeof import('@apogee/executor');
      const worker = await startQueueWorker({
        url: opts.queue,
        queue: opts.queueName,
        concurrency: opts.concurrency,
        lockDurationMs: opts.lockTimeout * 1000,
        stalledIntervalMs: Math.min(30, opts.lockTimeout) * 1000,
        onError: (e) => ctx.io.err(`warning: ${e.message}\n`),
        onEvent: (e) => {
          if (e.type === 'done') ctx.io.err(`done    ${e.task} ${e.jobId} in ${e.ms} ms\n`);
          else if (e.type === 'failed') ctx.io.err(`failed  ${e.task} ${e.jobId} (attempt ${e.attempt}): ${e.error}\n`);
          else ctx.io.err(`${e.attempt > 1 ? 'retry  ' : 'start  '} ${e.task} ${e.jobId}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}\n`);
        },
      });
      ctx.io.err(`Serving queue "${worker.queue}" at ${displayUrl(worker.url)} (pid ${process.pid}, concurrency ${opts.concurrency}); Ctrl-C to stop.\n`);
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await worker.close();
      ctx.io.err('Worker stopped.\n');
    });
}
