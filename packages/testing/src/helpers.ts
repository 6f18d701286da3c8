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

/** Path of `../shared/data/<rel>` beside the checkout, or undefined when it is absent. */
export function sharedDataPath(rel: string): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, '..', 'shared', 'data', rel);
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

/**
 * `describe` when the shared data file exists, otherwise a skipped block that says why.
 */
export function describeWithSharedData(title: string, rel: string, body: (file: string) => void): void {
  const file = sharedDataPath(rel);
  if (file) {
    describe(title, () => body(file));
  } else {
    describe.skip(`${title} (skipped: ../shared/data/${rel} not found beside the checkout)`, () => {
      it('needs the shared data', () => undefined);
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
