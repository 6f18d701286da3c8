// The real `apogee` bin in a child process, as a user runs it from a fresh clone (no build: the
// bin runs the TypeScript sources through tsx). A few commands only: each spawn costs seconds.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { copyFixture, tempDir } from './testing/fixtures';

const BIN = path.join(__dirname, '..', 'bin', 'apogee.cjs');

function apogee(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1', ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the apogee bin (child process)', () => {
  it('--help lists every command and the exit codes; sub-command help has examples', () => {
    const r = apogee(['--help'], __dirname);
    expect(r.code).toBe(0);
    for (const c of ['quickstart', 'run', 'resume', 'train-rm', 'eval-rm', 'sample', 'report', 'bench', 'plugins', 'config']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    }
    expect(r.stdout).toContain('130  interrupted (Ctrl-C)');
    const sub = apogee(['report', '--help'], __dirname);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('Examples:\n  $ apogee report apogee-quickstart');
  });

  it('a bad config exits 2 with one clear message and the position, no stack trace; --debug adds it', () => {
    const t = tempDir();
    try {
      writeFileSync(path.join(t.dir, 'c.yaml'), 'game:\n  rmInit: bse\n');
      const r = apogee(['config', 'validate', 'c.yaml'], t.dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error: Config file');
      expect(r.stderr).toContain('game.rmInit: Invalid option: expected one of "base"|"continue"');
      expect(r.stderr).toContain('c.yaml:2:11');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const d = apogee(['config', 'validate', 'c.yaml', '--debug'], t.dir);
      expect(d.code).toBe(2);
      expect(d.stderr).toMatch(/\n\s+at /);
      const u = apogee(['frobnicate'], t.dir);
      expect(u.code).toBe(2);
      expect(u.stderr).toContain("unknown command 'frobnicate'");
    } finally {
      t.cleanup();
    }
  });

  it('report DIR writes report.html into the run directory', () => {
    const run = copyFixture('quickstart-run');
    try {
      const r = apogee(['report', run.dir], run.dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('Wrote report.html\n');
      expect(readFileSync(path.join(run.dir, 'report.html'), 'utf8')).toContain('<svg');
      const missing = apogee(['report', 'no-such-dir'], run.dir);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no-such-dir is not a directory.');
      expect(existsSync(path.join(run.dir, 'no-such-dir'))).toBe(false);
    } finally {
      run.cleanup();
    }
  });
});
