// Issue 20: a quickstart killed at any moment continues with `apogee resume DIR` and ends with the
// same summary.json, tables, samples and report.html as one that was never stopped. The real bin
// in its own process group, SIGKILLed as a whole (no chance to clean up) at three points.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../testing/fixtures';

const BIN = path.join(__dirname, '..', '..', 'bin', 'apogee.cjs');
const ENV = { ...process.env, CI: '1' };
const unit = (dir: string, name: string) => path.join(dir, 'units', 'seed-1', name);

/** Start `apogee args` as the leader of a new process group; SIGKILL the group once `when()` holds. */
async function killWhen(cwd: string, args: string[], when: () => boolean): Promise<{ killed: boolean; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: ENV, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let killed = false;
  const timer = setInterval(() => {
    if (!killed && child.exitCode === null && when()) {
      killed = true;
      process.kill(-child.pid!, 'SIGKILL');
    }
  }, 25);
  await exited;
  clearInterval(timer);
  return { killed, stderr };
}

/** What must be identical: every result file, with the report's "generated" time and metrics' row times left out. */
function results(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['summary.json', 'seed-runs.json']) out[f] = fs.readFileSync(path.join(dir, f), 'utf8');
  out['report.html'] = fs.readFileSync(path.join(dir, 'report.html'), 'utf8').replace(/generated \d{4}-\d\d-\d\d \d\d:\d\d UTC/g, 'generated …');
  out['metrics.jsonl'] = fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .replace(/"time":"[^"]+",/g, '')
    .replace(/,"executor":\{[^}]*\}/g, '');
  for (const v of fs.readdirSync(path.join(dir, 'samples')).sort()) {
    for (const f of fs.readdirSync(path.join(dir, 'samples', v)).sort()) out[`samples/${v}/${f}`] = fs.readFileSync(path.join(dir, 'samples', v, f), 'utf8');
  }
  return out;
}

describe('apogee resume on a quickstart directory', () => {
  it('after SIGKILLs mid-π₀, mid-arm, in the comparison RMs and in the analysis, finishes with the results of an uninterrupted run', async () => {
    const t = tempDir();
    try {
      const args = ['quickstart', '--preset', 'fast', '--variants', 'golden-sft,rjs-apo,rrhf', '--rounds', '1'];
      // Both in a directory named qs (the report's title), in two places.
      const [a, b] = [path.join(t.dir, 'a'), path.join(t.dir, 'b')];
      fs.mkdirSync(a);
      fs.mkdirSync(b);
      const whole = spawnSync(process.execPath, [BIN, ...args, '--out', 'qs'], { cwd: a, env: ENV, encoding: 'utf8' });
      expect(whole.status).toBe(0);

      const dir = path.join(b, 'qs');
      const points: Array<[string, () => boolean]> = [
        ['mid-π₀', () => fs.existsSync(unit(dir, 'pi0')) && !fs.existsSync(path.join(unit(dir, 'pi0'), 'unit.json'))],
        ['mid-arm', () => fs.existsSync(path.join(unit(dir, 'golden-sft'), 'unit.json')) && fs.existsSync(unit(dir, 'rjs-apo'))],
        // In this process the units run in the canonical order: the arms, then rjs-apo's comparison RMs, then the analysis.
        ['comparison RMs', () => fs.existsSync(unit(dir, 'rjs-apo-control'))],
        ['analysis', () => fs.existsSync(path.join(unit(dir, 'rjs-apo-fresh'), 'unit.json'))],
      ];
      const first = await killWhen(b, [...args, '--out', 'qs'], points[0][1]);
      expect({ point: points[0][0], killed: first.killed }).toEqual({ point: 'mid-π₀', killed: true });
      for (const [name, when] of points.slice(1)) {
        const r = await killWhen(b, ['resume', 'qs'], when);
        expect({ point: name, killed: r.killed }).toEqual({ point: name, killed: true });
        expect(r.stderr).toMatch(/Resuming .*qs: \d+ finished units? reused\./);
      }
      expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(false);
      expect(fs.existsSync(path.join(unit(dir, 'analysis'), 'unit.json'))).toBe(false);
      // The last resume runs what remains (the analysis's scoring jobs) on a pool of two processes: the same results again.
      const last = spawnSync(process.execPath, [BIN, 'resume', 'qs', '--workers', '2'], { cwd: b, env: ENV, encoding: 'utf8' });
      expect(last.stderr).toMatch(/Resuming .*qs: 6 finished units reused\./); // π₀, the three arms, the two comparison RMs
      expect(last.status).toBe(0);
      expect(last.stdout).toContain('Results: qs/summary.json');
      expect(results(dir)).toEqual(results(path.join(a, 'qs')));
    } finally {
      t.cleanup();
    }
  });

  it('says what to pass when the directory is neither a run nor a quickstart', () => {
    const t = tempDir();
    try {
      fs.mkdirSync(path.join(t.dir, 'qs'));
      fs.writeFileSync(path.join(t.dir, 'qs', 'quickstart.json'), '{"format":"something else"}');
      const bad = spawnSync(process.execPath, [BIN, 'resume', 'qs'], { cwd: t.dir, env: ENV, encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('quickstart.json is not a quickstart manifest.');
      const none = spawnSync(process.execPath, [BIN, 'resume', '.'], { cwd: t.dir, env: ENV, encoding: 'utf8' });
      expect(none.stderr).toContain('or the --out directory of `apogee quickstart`');
    } finally {
      t.cleanup();
    }
  });
});
