// Per-job overhead of each executor: N trivial jobs (a few RNG draws, microseconds of work), timed
// end to end, minus the same jobs in-process (throughput: one worker takes them one after
// another), and the round trip of a map() of a single job, repeated (latency). Starts its own
// redis-server and one queue worker.
// Run: npx tsx --conditions=@apogee/source packages/executor/bench/job-overhead.ts [jobs=400]
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Rng } from '@apogee/core';
import { BullMqExecutor, InProcessExecutor, LocalPoolExecutor, startRedisServer, type Executor } from '../src';
import { childNodeOptions } from '../src/process-args';

const jobs = Number(process.argv[2] ?? 400);
const task = { module: path.join(__dirname, '..', 'src', 'testing', 'tasks.ts'), name: 'draw' };
const inputs = (salt: string) => Array.from({ length: jobs }, (_, s) => ({ rng: Rng.fromSeed(1).stream(`${salt}/${s}`).getState(), n: 4 }));

const single = 50;
const latency: Record<string, number> = {};

async function time(ex: Executor, salt: string): Promise<number> {
  await ex.map(task, inputs(`warm-${salt}`).slice(0, 8)); // start-up (processes, connections) not counted
  const t = process.hrtime.bigint();
  await ex.map(task, inputs(salt), { label: salt });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  // One job per map(): what a coordinator waiting on a single shard sees.
  const one = inputs(`one-${salt}`).slice(0, single);
  const t1 = process.hrtime.bigint();
  for (const input of one) await ex.map(task, [input], { label: `one-${salt}` });
  latency[salt] = Number(process.hrtime.bigint() - t1) / 1e6 / single;
  return ms;
}

(async () => {
  const base = await time(new InProcessExecutor(), 'inproc');
  const pool = new LocalPoolExecutor({ workers: 1 });
  const poolMs = await time(pool, 'pool');
  await pool.close();
  const redis = await startRedisServer();
  const { execArgv, env } = childNodeOptions();
  const worker = spawn(process.execPath, [...execArgv, path.join(__dirname, '..', 'src', 'worker-main.ts'), '--queue', redis.url], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => worker.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
  const queue = new BullMqExecutor({ url: redis.url });
  const queueMs = await time(queue, 'queue');
  await queue.close();
  worker.kill('SIGKILL');
  await redis.stop();
  const per = (ms: number) => ((ms - base) / jobs).toFixed(2);
  console.log(JSON.stringify({ jobs, inProcessMs: +base.toFixed(1), localPoolMs: +poolMs.toFixed(1), bullmqMs: +queueMs.toFixed(1), perJobOverheadMs: { localPool: +per(poolMs), bullmq: +per(queueMs) }, singleJobRoundTripMs: { inProcess: +latency.inproc.toFixed(2), localPool: +latency.pool.toFixed(2), bullmq: +latency.queue.toFixed(2) } }));
  process.exit(0);
})();
