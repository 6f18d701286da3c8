import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, type ApogeeError } from '@apogee/core';
import { createExecutor, DirectorySnapshotStore, InProcessExecutor, LocalPoolExecutor, type Executor, type TaskRef } from './index';

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
      // A task's apogee error keeps its code and hint across the process boundary.
      await expect(pool.map(task('reject'), [{ dir: tmp }])).rejects.toMatchObject({ code: 'APOGEE_DATA_INVALID', hint: 'check the data' });
    } finally {
      await pool.close();
      await inProcess.close();
    }
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
