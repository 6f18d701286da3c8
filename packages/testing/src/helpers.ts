import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tfType from '@tensorflow/tfjs-core';

/** A fresh temporary directory, removed by the returned cleanup. */
export function makeTempDir(prefix = 'apogee-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Run `fn` `times` times and check the live tensor count does not grow after the first call (which
 * may create lasting state such as optimizer slots).
 */
export async function expectNoTensorLeak(tf: typeof tfType, fn: () => unknown | Promise<unknown>, times = 3): Promise<void> {
  await fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < times; i++) await fn();
  expect(tf.memory().numTensors).toBe(before);
}

/**
 * Path of `<APOGEE_SHARED_DATA>/<rel>` when that environment variable names a folder holding it,
 * else undefined. The real preference data the tests use (public HH-RLHF and DSP test files) is not
 * part of the repository and is never copied into it; the repository's test runner
 * (`tools/test-all.cjs`) and CI (`.ci/run`) point this variable at `../shared/data` beside the
 * checkout when it is there. A published package never looks outside its own folder.
 */
export function sharedDataPath(rel: string): string | undefined {
  const root = process.env.APOGEE_SHARED_DATA;
  if (!root) return undefined;
  const candidate = path.resolve(root, rel);
  return fs.existsSync(candidate) ? candidate : undefined;
}

/**
 * `describe` when {@link sharedDataPath} finds the file, otherwise a skipped block that says why.
 */
export function describeWithSharedData(title: string, rel: string, body: (file: string) => void): void {
  const file = sharedDataPath(rel);
  if (file) {
    describe(title, () => body(file));
  } else {
    describe.skip(`${title} (skipped: ${rel} not found; set APOGEE_SHARED_DATA to the real-data folder, e.g. ../shared/data beside the checkout)`, () => {
      it('needs the real data file', () => undefined);
    });
  }
}

/** Max absolute difference between two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
