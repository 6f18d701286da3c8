import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '@apogee/core';
import { BullMqExecutor, checkRedis, InProcessExecutor, startRedisServer, type RedisServer, type TaskRef } from './index';
import { childNodeOptions } from './process-args';

const TASKS = path.join(__dirname, 'testing', 'tasks.ts');
const task = (name: string): TaskRef => ({ module: TASKS, name });

/** A worker in its own process (so it can be SIGKILLed), started like `apogee worker`. */
async function startWorker(url: string, extra: string[] = []): Promise<ChildProcess> {
  const { execArgv, env } = childNodeOptions();
  const child = spawn(process.execPath, [...execArgv, path.join(__dirname, 'worker-main.ts'), '--queue', url, ...extra], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return child;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }),
  );
}

describe('BullMQ executor on a real redis-server', () => {
  let redis: RedisServer;
  let tmp: string;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await stopAll(workers);
    await redis?.stop();
  });
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-bullmq-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('names the URL when Redis cannot be reached, and gives up with a message when no worker serves the queue', async () => {
    const down = `redis://127.0.0.1:${redis.port === 1 ? 2 : 1}`;
    await expect(checkRedis(down)).rejects.toThrow(`Cannot reach Redis at ${down}`);
    await expect(new BullMqExecutor({ url: down }).map(task('draw'), [])).rejects.toThrow(`Cannot reach Redis at ${down}`);
    const lonely = new BullMqExecutor({ url: redis.url, queue: 'nobody-serves-this', noWorkerTimeoutMs: 1200 });
    try {
      await expect(lonely.map(task('draw'), [{ rng: Rng.fromSeed(1).getState(), n: 1 }])).rejects.toThrow(
        `No worker has served queue "nobody-serves-this" at ${redis.url}`,
      );
    } finally {
      await lonely.close();
    }
  });

  it('three workers give what in-process gives; snapshots travel through Redis; a worker SIGKILLed mid-job loses nothing', async () => {
    workers.push(...(await Promise.all([0, 1, 2].map(() => startWorker(redis.url, ['--lock-ms', '1000', '--stalled-ms', '500'])))));
    const queue = new BullMqExecutor({ url: redis.url, attempts: 3 });
    const local = new InProcessExecutor();
    try {
      expect(await queue.workers()).toBe(3);
      const inputs = Array.from({ length: 9 }, (_, s) => ({ rng: Rng.fromSeed(3).stream(`r2/score/shard-${s}`).getState(), n: 4 }));
      expect(await queue.map(task('draw'), inputs, { label: 'r2-score' })).toEqual(await local.map(task('draw'), inputs));

      const model = path.join(tmp, 'model');
      fs.mkdirSync(model);
      fs.writeFileSync(path.join(model, 'model.safetensors'), Buffer.from([1, 2, 3, 250]));
      const hash = await queue.publish(model);
      expect(await queue.publish(model)).toBe(hash); // published once, named by content
      const read = await queue.map<unknown, { text: string }>(task('readSnapshot'), [{ hash, file: 'model.safetensors' }]);
      expect(Buffer.from(read[0].text, 'utf8')).toEqual(Buffer.from(Buffer.from([1, 2, 3, 250]).toString('utf8'), 'utf8'));

      // Six 1.5 s jobs on three workers; kill the worker running job 0 as soon as it starts.
      const jobs = Array.from({ length: 6 }, (_, value) => ({ dir: tmp, value, ms: 1500 }));
      const running = queue.map<unknown, { value: number; pid: number; attempt: number }>(task('slow'), jobs, { label: 'slow' });
      let victim: number | undefined;
      while (victim === undefined) {
        const marker = fs.readdirSync(tmp).find((f) => f.startsWith('0.') && f.endsWith('.started'));
        if (marker) victim = Number(marker.split('.')[1]);
        else await new Promise((r) => setTimeout(r, 50));
      }
      const killed = workers.find((w) => w.pid === victim)!;
      await stopAll([killed]);
      const out = await running;
      expect(out.map((o) => o.value)).toEqual([0, 10, 20, 30, 40, 50]);
      expect(out[0].pid).not.toBe(victim); // finished by a surviving worker (BullMQ's stalled-job check)
      expect(fs.readdirSync(tmp).filter((f) => f.startsWith('0.') && f.endsWith('.started')).length).toBe(2);

      // Idempotent: the same jobs again are answered from their stored results, not run again.
      const markers = fs.readdirSync(tmp).filter((f) => f.endsWith('.started')).length;
      expect((await queue.map<unknown, { value: number }>(task('slow'), jobs, { label: 'slow' })).map((o) => o.value)).toEqual([0, 10, 20, 30, 40, 50]);
      expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.started')).length).toBe(markers);

      // Bad input fails at once (not retried), with its code and hint.
      await expect(queue.map(task('reject'), [{ dir: tmp }])).rejects.toMatchObject({ code: 'APOGEE_DATA_INVALID', hint: 'check the data' });
      expect(fs.readFileSync(path.join(tmp, 'reject.count'), 'utf8')).toBe('x');
    } finally {
      await queue.close();
      await local.close();
    }
  });
});
