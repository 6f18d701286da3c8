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
 * The real-data sample shipped with this package (`fixtures/real-data`: 24 Anthropic HH-RLHF test
 * pairs as published and in the text/score layout; its README gives the source, the records chosen
 * and the MIT licence that travels with them).
 */
export const REAL_DATA_DIR = path.join(__dirname, '..', 'fixtures', 'real-data');

/** Path of a file of the real-data sample (`realDataPath('hh-rlhf-harmless-base.sample.jsonl.gz')`). */
export function realDataPath(name: string): string {
  const file = path.join(REAL_DATA_DIR, name);
  if (!fs.existsSync(file)) throw new Error(`No real-data sample ${name} in ${REAL_DATA_DIR} (files: ${fs.readdirSync(REAL_DATA_DIR).join(', ')}).`);
  return file;
}

/**
 * Path of `<APOGEE_SHARED_DATA>/<rel>` when that environment variable names a folder holding it,
 * else undefined: the full public data files, for the tests that check a whole file.
 * @deprecated It no longer looks for a folder beside the checkout; a repository's tests read
 * {@link realDataPath}, and only opt-in full-file checks read this.
 */
export function sharedDataPath(rel: string): string | undefined {
  const root = process.env.APOGEE_SHARED_DATA;
  if (!root) return undefined;
  const candidate = path.resolve(root, rel);
  return fs.existsSync(candidate) ? candidate : undefined;
}

/**
 * `describe` when `sharedDataPath(rel)` finds the file, otherwise a skipped block that says why.
 * @deprecated With {@link sharedDataPath}: for opt-in checks of whole public files only.
 */
export function describeWithSharedData(title: string, rel: string, body: (file: string) => void): void {
  const file = sharedDataPath(rel);
  if (file) {
    describe(title, () => body(file));
  } else {
    describe.skip(`${title} (skipped: set APOGEE_SHARED_DATA to a folder holding ${rel})`, () => {
      it('needs the full data file', () => undefined);
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
