// `apogee run` and `apogee resume` end to end on a tiny config: the real bin in a child process,
// interrupted with SIGINT (Ctrl-C) mid-run, then resumed to the end.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { FIXTURES, tempDir } from '../testing/fixtures';

const BIN = path.join(__dirname, '..', '..', 'bin', 'apogee.cjs');
const CONFIG = path.join(FIXTURES, 'configs', 'tiny-dpo-apo.yaml');

describe('apogee run / resume', () => {
  it('stops on Ctrl-C after the current step with exit 130 and the resume line; resume finishes the run', async () => {
    const t = tempDir();
    try {
      copyFileSync(CONFIG, path.join(t.dir, 'c.yaml'));
      const child = spawn(process.execPath, [BIN, 'run', '--config', 'c.yaml'], { cwd: t.dir, env: { ...process.env, CI: '1' } });
      let stderr = '';
      let stdout = '';
      let sent = false;
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => {
        stderr += d;
        // Interrupt once round 1 is under way (after the first checkpoints).
        if (!sent && /round 1 sample-llm: started/.test(stderr)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(sent).toBe(true);
      expect({ code, stdout }).toEqual({ code: 130, stdout: '' });
      expect(stderr).toContain('Stopping after the current step');
      expect(stderr).toContain('continue with:\n  apogee resume run\n');
      const runDir = path.join(t.dir, 'run');
      // config.yaml records each plugin: its package, version and options with defaults filled in.
      const recorded = parse(readFileSync(path.join(runDir, 'config.yaml'), 'utf8'));
      expect(recorded.provenance.configFile).toBe(path.join(t.dir, 'c.yaml'));
      const preset = recorded.provenance.plugins.find((p: { name: string }) => p.name === 'dpo-apo');
      expect(preset).toMatchObject({ kind: 'builtin', package: '@apogee/variant-dpo-apo', version: require('@apogee/variant-dpo-apo/package.json').version });
      expect(preset.options.game.rm).toMatchObject({ batchSize: 8, lr: 0.001 });
      expect(recorded.provenance.plugins.find((p: { name: string }) => p.name === 'evaluator').options.maxPrompts).toBe(6);
      expect(existsSync(path.join(runDir, 'report.html'))).toBe(false);

      // Resume with a lower RM learning rate (what the NaN stop advises): accepted by the game,
      // written to the run's config and logged (issue 17 item 8).
      const resumed = spawnSync(process.execPath, [BIN, 'resume', 'run', '--set', 'dpo-apo.game.rm.lr=0.0005'], { cwd: t.dir, encoding: 'utf8', env: { ...process.env, CI: '1' } });
      expect(resumed.stderr).toContain('Resuming with dpo-apo.game.rm.lr 0.001 → 0.0005');
      expect(resumed.stderr).toContain('Resuming');
      expect(resumed.status).toBe(0);
      expect(readFileSync(path.join(runDir, 'config.yaml'), 'utf8')).toMatch(/lr: 0\.0005/);
      const changes = JSON.parse(readFileSync(path.join(runDir, 'settings-changes.jsonl'), 'utf8'));
      expect(changes).toMatchObject({ event: 'resume', changes: [{ key: 'dpo-apo.game.rm.lr', from: 0.001, to: 0.0005 }] });
      expect(existsSync(path.join(runDir, '.apogee-lock'))).toBe(false);
      expect(resumed.stdout).toMatch(/^Finished 2 rounds in run: goldReward [0-9.]+/);
      const summary = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
      expect(summary.seeds).toEqual([3]);
      expect(Object.keys(summary.variants)).toEqual(['dpo-apo']);
      expect(summary.perRound.map((r: { round: number }) => r.round)).toEqual([1, 2]);
      expect(Number.isFinite(summary.variants['dpo-apo'].goldReward.mean)).toBe(true);
      expect(summary.reliability['dpo-apo'].length).toBeGreaterThan(0);
      const rows = readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.filter((r) => r.event === 'round-end').map((r) => r.round)).toEqual([1, 2]);
      expect(rows.filter((r) => r.event === 'run-start')).toHaveLength(2); // the run and its resume
      expect(readFileSync(path.join(runDir, 'metrics.csv'), 'utf8')).toMatch(/^time,event,variant,seed,round,phase,step,metric,value\n/);
      expect(existsSync(path.join(runDir, 'samples', 'dpo-apo', 'round-2.jsonl'))).toBe(true);
      expect(readFileSync(path.join(runDir, 'report.html'), 'utf8')).toContain('id="chart-gold"');
    } finally {
      t.cleanup();
    }
  });

  it('refuses to start over an existing run, and fails before any work on a missing provider', async () => {
    const t = tempDir();
    try {
      const io = memoryIo(t.dir);
      require('node:fs').writeFileSync(path.join(t.dir, 'c.yaml'), 'outDir: out\nplugins: [byte-tokenizer, dpo-apo]\n');
      expect(await runCli(['run', '--config', 'c.yaml'], { io })).toBe(2);
      expect(io.stderr).toContain('The game is missing');
      expect(io.stderr).toContain('PolicyFactory: not registered; usually provided by @apogee/policy (gpt-policy or hf-policy)');
      require('node:fs').mkdirSync(path.join(t.dir, 'out', 'checkpoints'), { recursive: true });
      expect(await runCli(['run', '--config', 'c.yaml'], { io })).toBe(2);
      expect(io.stderr).toContain('out already holds a run.\nContinue it with `apogee resume out`');
      expect(await runCli(['resume', 'nowhere'], { io })).toBe(1);
      expect(io.stderr).toContain('nowhere is not an apogee run directory');
    } finally {
      t.cleanup();
    }
  });
});
