// The run directory's safety (issue 17): `--out` never writes into (or deletes from) a user's
// folder, one process at a time works in a run directory, a cut metrics line is repaired on
// resume, and `resume --set` changes only what is safe to change.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '@apogee/core';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { MetricsWriter } from '../metrics/metrics-writer';
import { readMetricsJsonl } from '../metrics/read-metrics';
import { tempDir } from '../testing/fixtures';
import { applyResumeSettings, isResumeSafe } from './resume-settings';
import { claimOutDir, lockRunDir, OUT_DIR_MARKER, repairLastLine, RUN_LOCK_FILE } from './run-dir';

const CONFIG = 'outDir: out\nseed: 3\nplugins: [byte-tokenizer, gpt-policy, gpt-reward, sampler, eval-sampler, world-data-source, gold-judge, evaluator, dpo-apo]\n';

describe('--out never touches a folder of the user', () => {
  it('run and train-rm refuse a non-empty folder that apogee did not create, and leave it as it was', async () => {
    const t = tempDir();
    try {
      const user = path.join(t.dir, 'mine');
      mkdirSync(path.join(user, 'model'), { recursive: true });
      writeFileSync(path.join(user, 'summary.json'), '{"mine": true}\n');
      writeFileSync(path.join(user, 'model', 'notes.txt'), 'keep me');
      writeFileSync(path.join(t.dir, 'c.yaml'), CONFIG);
      const snapshot = () => readdirSync(user, { recursive: true }).map(String).sort();
      const before = snapshot();
      const io = memoryIo(t.dir);
      expect(await runCli(['run', '--config', 'c.yaml', '--out', 'mine'], { io })).toBe(2);
      expect(io.stderr).toContain('mine is not empty and is not an apogee output folder (it holds model, summary.json)');
      writeFileSync(path.join(t.dir, 'pairs.jsonl'), `${JSON.stringify({ chosen: '\n\nHuman: a\n\nAssistant: b', rejected: '\n\nHuman: a\n\nAssistant: c' })}\n`);
      expect(await runCli(['train-rm', '--train', 'pairs.jsonl', '--eval', 'pairs.jsonl', '--out', 'mine'], { io })).toBe(2);
      expect(snapshot()).toEqual(before);
      expect(readFileSync(path.join(user, 'summary.json'), 'utf8')).toBe('{"mine": true}\n');
      // A new folder and an empty one are claimed (marked as apogee's), and stay claimable.
      claimOutDir(path.join(t.dir, 'new', 'run'), 'run');
      mkdirSync(path.join(t.dir, 'empty'));
      claimOutDir(path.join(t.dir, 'empty'), 'run');
      writeFileSync(path.join(t.dir, 'empty', 'summary.json'), '{}');
      expect(() => claimOutDir(path.join(t.dir, 'empty'), 'run')).not.toThrow();
      expect(existsSync(path.join(t.dir, 'new', 'run', OUT_DIR_MARKER))).toBe(true);
    } finally {
      t.cleanup();
    }
  });
});

describe('the advisory lock of a run directory', () => {
  it('a second resume on a folder in use is refused; a lock left by a killed process is taken over', async () => {
    const t = tempDir();
    try {
      const dir = path.join(t.dir, 'out');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'config.yaml'), CONFIG);
      // Another live node process holds the lock.
      const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      let code: number;
      const io = memoryIo(t.dir);
      try {
        writeFileSync(path.join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: holder.pid, host: hostname(), command: 'resume', time: '2026-01-01T00:00:00.000Z' }));
        code = await runCli(['resume', 'out'], { io });
      } finally {
        holder.kill('SIGKILL');
      }
      expect(io.stderr).toContain(`out is in use by another apogee process (resume, pid ${holder.pid}`);
      expect(code).toBe(2);
      expect(readdirSync(dir).sort()).toEqual(['.apogee-lock', 'config.yaml']);
      // A killed process's lock (its pid runs no more) is taken over, and released after.
      writeFileSync(path.join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), command: 'run', time: 'x' }));
      const release = lockRunDir(dir, 'resume');
      expect(JSON.parse(readFileSync(path.join(dir, RUN_LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      expect(() => lockRunDir(dir, 'resume')).not.toThrow(); // our own pid: stale by definition
      release();
    } finally {
      t.cleanup();
    }
  });
});

describe('a cut last metrics line', () => {
  it('is cut off before appending, so the log stays readable (item 6)', async () => {
    const t = tempDir();
    try {
      const w = new MetricsWriter(t.dir);
      w.write({ event: 'round-end', round: 1, metrics: { goldReward: 0.5 } });
      const file = path.join(t.dir, 'metrics.jsonl');
      writeFileSync(file, `${readFileSync(file, 'utf8')}{"time":"2026-12-06T03:00:00.000Z","event":"st`, { flag: 'w' });
      writeFileSync(path.join(t.dir, 'metrics.csv'), `${readFileSync(path.join(t.dir, 'metrics.csv'), 'utf8')}2026-12-06T03:00,step,,`);
      const resumed = new MetricsWriter(t.dir);
      resumed.write({ event: 'round-end', round: 2, metrics: { goldReward: 0.75 } });
      const rows = readMetricsJsonl(file);
      expect(rows.map((r) => r.round)).toEqual([1, 2]);
      expect(readFileSync(path.join(t.dir, 'metrics.csv'), 'utf8').split('\n').filter(Boolean).every((l) => l.split(',').length === 9)).toBe(true);
      // A file that ends with a newline is left alone; one cut inside its only line is emptied.
      expect(repairLastLine(file)).toBe(0);
      writeFileSync(path.join(t.dir, 'one'), 'half a li');
      expect(repairLastLine(path.join(t.dir, 'one'))).toBe(9);
      expect(readFileSync(path.join(t.dir, 'one'), 'utf8')).toBe('');
    } finally {
      t.cleanup();
    }
  });
});

describe('resume --set (item 8)', () => {
  const config = parseConfig({ seed: 3, game: { rounds: 2 }, plugins: ['byte-tokenizer', ['dpo-apo', { game: { rm: { lr: 0.001 } } }], 'gpt-policy'] });

  it('changes rounds and learning rates, and nothing else', () => {
    const { config: next, changes } = applyResumeSettings(config, ['game.rounds=4', 'dpo-apo.game.rm.lr=5e-4', 'gpt-policy.lr=0.01']);
    expect(next.game.rounds).toBe(4);
    expect(next.plugins[1]).toEqual(['dpo-apo', { game: { rm: { lr: 5e-4 } } }]);
    expect(next.plugins[2]).toEqual(['gpt-policy', { lr: 0.01 }]);
    expect(changes).toEqual([
      { key: 'game.rounds', from: 2, to: 4 },
      { key: 'dpo-apo.game.rm.lr', from: 0.001, to: 5e-4 },
      { key: 'gpt-policy.lr', from: null, to: 0.01 },
    ]);
    expect(config.game.rounds).toBe(2); // the input is not changed
    for (const k of ['seed', 'game.samplesPerQuery', 'dpo-apo.game.rm.batchSize', 'game.lr']) expect(isResumeSafe(k)).toBe(false);
    expect(() => applyResumeSettings(config, ['seed=4'])).toThrow(/--set seed: only `game.rounds` and learning rates/);
    expect(() => applyResumeSettings(config, ['nope.lr=1'])).toThrow(/this run has no plugin "nope"/);
    expect(() => applyResumeSettings(config, ['game.rounds=many'])).toThrow(/must be a number/);
    expect(() => applyResumeSettings(config, ['game.rounds=0'])).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'game.rounds' })] }));
  });

  it('a refused key fails before any work, naming what may change', async () => {
    const t = tempDir();
    try {
      mkdirSync(path.join(t.dir, 'out'));
      writeFileSync(path.join(t.dir, 'out', 'config.yaml'), CONFIG);
      const io = memoryIo(t.dir);
      expect(await runCli(['resume', 'out', '--set', 'game.samplesPerQuery=8'], { io })).toBe(2);
      expect(io.stderr).toContain('--set game.samplesPerQuery: only `game.rounds` and learning rates');
      expect(readdirSync(path.join(t.dir, 'out'))).toEqual(['config.yaml']);
    } finally {
      t.cleanup();
    }
  });
});
