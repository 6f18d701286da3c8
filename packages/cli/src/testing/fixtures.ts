import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The package's checked-in fixture run directories (written by test-fixtures/make-fixtures.cjs). */
export const FIXTURES = path.join(__dirname, '..', '..', 'test-fixtures');

/** A fresh temporary directory; `cleanup()` removes it. */
export function tempDir(prefix = 'apogee-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copy a fixture run directory into a temp dir, so tests can write into it. */
export function copyFixture(name: 'quickstart-run' | 'train-rm-run'): { dir: string; cleanup: () => void } {
  const t = tempDir();
  const dir = path.join(t.dir, name);
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return { dir, cleanup: t.cleanup };
}

/** Where tests save artifacts worth looking at (screenshots): `APOGEE_ARTIFACTS` or the package's test-artifacts/. */
export const ARTIFACTS = process.env.APOGEE_ARTIFACTS ?? path.join(__dirname, '..', '..', 'test-artifacts');
