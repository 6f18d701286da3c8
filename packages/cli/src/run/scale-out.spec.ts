// `apogee run` with its sampling and scoring sharded into jobs (issue 19): in-process, on a local
// pool of 2 processes, and on a BullMQ queue served by 3 `apogee worker` processes on a real
// redis-server (one of them SIGKILLed mid-round) give the same summary.json, byte for byte.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { startRedisServer, type RedisServer } from '@apogee/executor';
import { FIXTURES, tempDir } from '../testing/fixtures';

const BIN = path.join(__dirname, '..', '..', 'bin', 'apogee.cjs');
const ENV = { ...process.env, CI: '1' };

/** The CLI tests' tiny run with jobs of 3 prompts: 3 jobs per sampling and scoring phase. */
function shardedConfig(): string {
  const config = parse(readFileSync(path.join(FIXTURES, 'configs', 'tiny-dpo-apo.yaml'), 'utf8'));
  const preset = config.plugins.find((p: unknown) => Array.isArray(p) && p[0] === 'dpo-apo');
  preset[1].game.jobSize = 3;
  return stringify(config);
}

/** `apogee run` in a child process (not spawnSync: the workers' output is watched meanwhile). */
async function run(cwd: string, out: string, extra: string[]): Promise<{ stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'run', '--config', 'c.yaml', '--out', out, ...extra], { cwd, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`apogee run --out ${out} ${extra.join(' ')} exited with ${code}:\n${stderr}`);
  return { stderr };
}

/** What must not depend on the executor: summary.json and the samples, byte for byte. */
function results(dir: string): Record<string, string> {
  const files: Record<string, string> = { 'summary.json': readFileSync(path.join(dir, 'summary.json'), 'utf8') };
  for (const f of readdirSync(path.join(dir, 'samples', 'dpo-apo'))) files[f] = readFileSync(path.join(dir, 'samples', 'dpo-apo', f), 'utf8');
  const rounds = path.join(dir, 'checkpoints', 'rounds');
  for (const r of readdirSync(rounds)) {
    for (const f of ['samples-rm.jsonl', 'samples-llm.jsonl', 'scores.json']) files[`${r}/${f}`] = readFileSync(path.join(rounds, r, f), 'utf8');
  }
  return files;
}

function runStart(dir: string): { executor: { kind: string; workers: number } } {
  return readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((r) => r.event === 'run-start');
}

/**
 * `apogee worker --queue URL` in its own process; `log` collects its stderr (one line per job
 * started / done); `pid` is the worker's own process (bin/apogee.cjs runs the sources in a child).
 */
async function startWorker(url: string): Promise<{ child: ChildProcess; pid: () => number; log: () => string; onLine: (f: (line: string) => void) => void }> {
  // A short lock: the job of the killed worker is taken over after 5 s instead of 30.
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--lock-timeout', '5'], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  let partial = '';
  const listeners: Array<(line: string) => void> = [];
  child.stderr!.on('data', (d: Buffer) => {
    text += d.toString();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) for (const f of listeners) f(line);
  });
  await new Promise<void>((resolve, reject) => {
    const check = () => (text.includes('Serving queue') ? resolve() : undefined);
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`apogee worker exited with ${code}: ${text}`)));
  });
  const pid = Number(/\(pid (\d+),/.exec(text)![1]);
  return { child, pid: () => pid, log: () => text, onLine: (f) => listeners.push(f) };
}

/** SIGKILL a worker process and its launcher. */
async function kill(w: { child: ChildProcess; pid: () => number }): Promise<void> {
  try {
    process.kill(w.pid(), 'SIGKILL');
  } catch {
    // already gone
  }
  const { child } = w;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  child.stderr?.destroy();
}

describe('apogee run on every executor', () => {
  let redis: RedisServer | undefined;
  const children: Array<Parameters<typeof kill>[0]> = [];
  afterAll(async () => {
    for (const c of children) await kill(c);
    await redis?.stop();
  });

  it('gives the same summary.json in-process, on 2 local workers and on 3 BullMQ workers, also with one worker SIGKILLed mid-round', async () => {
    const t = tempDir();
    try {
      writeFileSync(path.join(t.dir, 'c.yaml'), shardedConfig());
      await run(t.dir, 'inproc', []);
      const reference = results(path.join(t.dir, 'inproc'));
      expect(runStart(path.join(t.dir, 'inproc')).executor).toEqual({ kind: 'in-process', workers: 1 });

      const pool = await run(t.dir, 'pool', ['--workers', '2']);
      expect(pool.stderr).toContain('Jobs run on: local pool (2 workers)');
      expect(pool.stderr).toMatch(/round 1 sample-llm: started \(3 to do\)/); // progress counts jobs
      expect(results(path.join(t.dir, 'pool'))).toEqual(reference);
      expect(runStart(path.join(t.dir, 'pool')).executor).toEqual({ kind: 'local', workers: 2 });

      redis = await startRedisServer();
      const workers = await Promise.all([0, 1, 2].map(() => startWorker(redis!.url)));
      children.push(...workers);
      await run(t.dir, 'queue', ['--queue', redis.url]);
      expect(results(path.join(t.dir, 'queue'))).toEqual(reference);
      expect(runStart(path.join(t.dir, 'queue')).executor).toEqual({ kind: 'bullmq', workers: 3 });
      // The jobs were spread over the workers.
      expect(workers.filter((w) => /^done {4}sampleShardTask /m.test(w.log())).length).toBeGreaterThanOrEqual(2);

      // Again on a fresh queue (job ids are content hashes: a queue hands back the results of
      // finished jobs) and fresh workers, the first of which to start a job is SIGKILLed in the middle
      // of it (a fresh worker spends its first job's first seconds loading the run's plugins).
      for (const w of workers) await kill(w);
      expect(spawnSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL'], { encoding: 'utf8' }).stdout.trim()).toBe('OK');
      const fresh = await Promise.all([0, 1, 2].map(() => startWorker(redis!.url)));
      children.push(...fresh);
      let killed: { jobId: string; worker: number } | undefined;
      fresh.forEach((w, i) =>
        w.onLine((line) => {
          const m = /^start {3}\w+ (r1-\S+)$/.exec(line);
          if (m && !killed) {
            killed = { jobId: m[1], worker: i };
            process.kill(w.pid(), 'SIGKILL');
          }
        }),
      );
      await run(t.dir, 'killed', ['--queue', redis.url]);
      expect(killed).toBeDefined();
      expect(results(path.join(t.dir, 'killed'))).toEqual(reference);
      // The killed worker's job was finished by another worker (BullMQ's stalled-job check).
      expect(fresh[killed!.worker].log()).not.toMatch(new RegExp(`^done {4}\\w+ ${killed!.jobId} `, 'm'));
      const survivors = fresh.filter((_, i) => i !== killed!.worker).map((w) => w.log()).join('');
      expect(survivors).toMatch(new RegExp(`^done {4}\\w+ ${killed!.jobId} `, 'm'));
    } finally {
      t.cleanup();
    }
  }, 1_200_000);
});
