import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, type ApogeeError } from '@apogee/core';
import { createExecutor, DirectorySnapshotStore, InProcessExecutor, LocalPoolExecutor, pruneStaleRunDirs, runSnapshotDir, type Executor, type TaskRef } from './index';

const TASKS = path.join(__dirname, 'testing', 'tasks.ts');
const task = (name: string): TaskRef => ({ module: TASKS, name });
/** Shard s of phase "r1/sample" draws from its own stream, derived from the run seed: never from the worker. */
const shards = (count: number) => Array.from({ length: count }, (_, s) => ({ rng: Rng.fromSeed(7).stream(`r1/sample/shard-${s}`).getState(), n: 3 }));

describe('executors', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-exec-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the local pool gives what in-process gives, in input order, and counts progress', async () => {
    const inProcess = new InProcessExecutor(new DirectorySnapshotStore(path.join(tmp, 'snap')));
    const pool = new LocalPoolExecutor({ workers: 2, snapshotDir: path.join(tmp, 'snap') });
    try {
      const expected = await inProcess.map<unknown, number[]>(task('draw'), shards(6));
      const progress: number[] = [];
      const got = await pool.map<unknown, number[]>(task('draw'), shards(6), { onProgress: (d) => progress.push(d) });
      expect(got).toEqual(expected);
      expect(new Set(expected.map((x) => x.join())).size).toBe(6); // every shard its own stream
      expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await pool.workers()).toBe(2);
      // A published snapshot is named by content and read by the children.
      const model = path.join(tmp, 'model');
      fs.mkdirSync(model);
      fs.writeFileSync(path.join(model, 'config.json'), '{"d":4}');
      const hash = await pool.publish(model);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(await inProcess.publish(model)).toBe(hash);
      const read = await pool.map<unknown, { text: string }>(task('readSnapshot'), [{ hash, file: 'config.json' }]);
      expect(read[0].text).toBe('{"d":4}');
      // Weights only: a checkpoint's optimizer state is never published (jobs do not train).
      fs.writeFileSync(path.join(model, 'optimizer.json'), '{"step":3}');
      fs.writeFileSync(path.join(model, 'optimizer.safetensors'), 'moments');
      expect(await pool.publish(model)).toBe(hash);
      // The pool's snapshots live in a directory of its own under snapshotDir, removed when it closes.
      const own = fs.readdirSync(path.join(tmp, 'snap')).filter((n) => n.startsWith('run-'));
      expect(own).toHaveLength(1);
      expect(fs.readdirSync(path.join(tmp, 'snap', own[0], hash))).toEqual(['config.json']);
      // A task's apogee error keeps its code and hint across the process boundary.
      await expect(pool.map(task('reject'), [{ dir: tmp }])).rejects.toMatchObject({ code: 'APOGEE_DATA_INVALID', hint: 'check the data' });
    } finally {
      await pool.close();
      await inProcess.close();
    }
    // Closed: the pool's own directory is gone; the store the in-process executor was given is kept.
    expect(fs.readdirSync(path.join(tmp, 'snap')).filter((n) => n.startsWith('run-'))).toEqual([]);
    expect(fs.readdirSync(path.join(tmp, 'snap')).filter((n) => /^[0-9a-f]{64}$/.test(n))).toHaveLength(1);
  });

  it("removes run directories of this host's dead processes, never a live one's or another host's", async () => {
    const base = path.join(tmp, 'snapshots');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited by now
    const mine = (pid: number) => path.basename(runSnapshotDir(base)).replace(`-${process.pid}-`, `-${pid}-`);
    const dirs = { dead: mine(dead), live: mine(process.ppid), self: path.basename(runSnapshotDir(base)), other: `run-another.host-${dead}-1-0`, hash: 'a'.repeat(64) };
    for (const d of Object.values(dirs)) fs.mkdirSync(path.join(base, d, 'x'), { recursive: true });
    expect(await pruneStaleRunDirs(base)).toEqual([path.join(base, dirs.dead)]);
    expect(fs.readdirSync(base).sort()).toEqual([dirs.hash, dirs.live, dirs.other, dirs.self].sort());
    // An owned store prunes beside itself on its first publish, and removes itself on dispose.
    fs.mkdirSync(path.join(base, dirs.dead));
    const store = DirectorySnapshotStore.owned(base);
    const model = path.join(tmp, 'model');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'config.json'), '{}');
    const hash = await store.publish(model);
    expect(fs.existsSync(path.join(base, dirs.dead))).toBe(false);
    expect(fs.existsSync(await store.fetch(hash))).toBe(true);
    await store.dispose();
    expect(fs.existsSync(store.root)).toBe(false);
  });

  it('in-process loads each snapshot once, names missing tasks and modules, and stops on abort', async () => {
    const ex: Executor = createExecutor({ kind: 'in-process' });
    try {
      const model = path.join(tmp, 'm');
      fs.mkdirSync(model);
      fs.writeFileSync(path.join(model, 'w.bin'), 'abc');
      const hash = await ex.publish(model);
      const out = await ex.map<unknown, { text: string; loads: number }>(task('readSnapshot'), [{ hash, file: 'w.bin' }, { hash, file: 'w.bin' }]);
      expect(out.map((o) => o.text)).toEqual(['abc', 'abc']);
      expect(out[1].loads).toBe(out[0].loads);
      await expect(ex.map(task('nope'), [1])).rejects.toThrow(/exports no function "nope"/);
      await expect(ex.map({ module: path.join(tmp, 'missing.ts'), name: 'x' }, [1])).rejects.toThrow(/Cannot load task module/);
      const ac = new AbortController();
      ac.abort();
      await expect(ex.map(task('draw'), shards(2), { signal: ac.signal })).rejects.toMatchObject({ code: 'APOGEE_ABORTED' });
    } finally {
      await ex.close();
    }
  });

  it('rejects bad executor settings with the field and the allowed values', () => {
    expect(() => createExecutor({ kind: 'local', workers: 0 })).toThrow(/executor settings are invalid/);
    expect(() => createExecutor({ kind: 'bullmq', url: 'localhost:6379' } as never)).toThrow(/invalid/);
    let error: unknown;
    try {
      createExecutor({ kind: 'gpu' } as never);
    } catch (e) {
      error = e;
    }
    expect((error as ApogeeError).describe()).toMatch(/executor\.kind.*\n.*in-process.*local.*bullmq/s);
  });
});
