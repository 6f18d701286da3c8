// Fault injection (issue 17): `apogee run` of a tiny 3-round game is killed with SIGKILL (the whole
// process group, as a crash or an OOM kill would) at many points, each time resumed with
// `apogee resume`, until it finishes; the result must be the uninterrupted run's, byte for byte:
// the same summary.json and the same final weights.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../testing/fixtures';

const BIN = path.join(__dirname, '..', '..', 'bin', 'apogee.cjs');

/** As small as a complete game gets: one-layer GPTs, four prompts per split, 8 new tokens. */
const CONFIG = `seed: 5
outDir: run
game:
  rounds: 3
  samplesPerQuery: 2
  maxNewTokens: 8
plugins:
  - byte-tokenizer
  - [gpt-policy, { preset: tiny, config: { nLayer: 1, nEmbd: 16, nHead: 2, blockSize: 96 } }]
  - gpt-reward
  - sampler
  - eval-sampler
  - [world-data-source, { rmPrompts: 4, llmPrompts: 4, testPrompts: 4, sftDemos: 8 }]
  - gold-judge
  - [evaluator, { maxPrompts: 4 }]
  - [dpo-apo, { game: { sftInit: { epochs: 1 }, rm: { batchSize: 8, warmupSteps: 0, lr: 0.001 } } }]
`;

/** Where to kill: a line of the progress output, or a checkpoint write in progress. */
type Trigger = { line: RegExp } | { checkpointWrite: true };
const POINTS: Array<{ name: string; at: Trigger }> = [
  { name: 'during SFT of π₀, before any checkpoint', at: { line: /SFT of π₀: started/ } },
  { name: 'while a model snapshot is written, after the first checkpoint', at: { checkpointWrite: true } },
  { name: 'during resume, right after it starts', at: { line: /^Resuming/m } },
  { name: 'round 1 train-rm', at: { line: /round 1 train-rm: started/ } },
  { name: 'after round 1 eval (its NaN policy-pair metrics logged)', at: { line: /round 1 eval: done/ } },
  { name: 'round 2 sample-rm', at: { line: /round 2 sample-rm: started/ } },
  { name: 'mid-checkpoint in round 2', at: { checkpointWrite: true } },
  { name: 'round 2 update-policy', at: { line: /round 2 update-policy: started/ } },
  { name: 'during resume, again', at: { line: /^Resuming/m } },
  { name: 'round 3 score', at: { line: /round 3 score: started/ } },
  { name: 'after round 3 eval', at: { line: /round 3 eval: done/ } },
  { name: 'while the summary and report are written', at: { line: /round 3 done/ } },
];

interface Outcome {
  /** Whether the process was killed at the trigger (false: it exited first). */
  killed: boolean;
  code: number | null;
  stderr: string;
}

/** Run the CLI in its own process group; SIGKILL the group when `at` fires. */
function runUntil(args: string[], cwd: string, at?: Trigger): Promise<Outcome> {
  return new Promise((resolve) => {
    const modelsDir = path.join(cwd, 'run', 'checkpoints', 'models');
    const known = new Set(existsSync(modelsDir) ? readdirSync(modelsDir) : []);
    const child = spawn(process.execPath, [BIN, ...args], { cwd, detached: true, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    let watcher: FSWatcher | undefined;
    const kill = () => {
      if (killed) return;
      killed = true;
      watcher?.close();
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (at && 'line' in at && at.line.test(stderr)) kill();
    });
    if (at && 'checkpointWrite' in at) {
      // A temporary snapshot folder appearing under models/: a checkpoint is being written. What was
      // there before this process started is known; the folder may be created, or deleted and made
      // again (a fresh start resets it), while the process runs, so it is looked at by inotify where
      // it exists and by a 1 ms poll as well (a tiny model's snapshot takes a few milliseconds).
      const models = path.join(cwd, 'run', 'checkpoints', 'models');
      // Only once a checkpoint exists, so that the resume after this kill continues a checkpoint.
      const manifest = path.join(cwd, 'run', 'checkpoints', 'checkpoint.json');
      const fired = (name: string | null) => name !== null && name.startsWith('.tmp-') && !known.has(name) && existsSync(manifest);
      const look = () => {
        if (killed) return;
        if (existsSync(models)) {
          if (readdirSync(models).some(fired)) return kill();
          if (!watcher) {
            try {
              watcher = watch(models, (_event, name) => void (fired(name) && kill()));
              watcher.on('error', () => (watcher = undefined));
            } catch {
              watcher = undefined;
            }
          }
        }
        poll = setTimeout(look, 1);
      };
      let poll: NodeJS.Timeout | undefined = setTimeout(look, 1);
      child.on('exit', () => clearTimeout(poll));
    }
    child.on('exit', (code) => {
      watcher?.close();
      resolve({ killed, code, stderr });
    });
  });
}

/** Fail with the command's own words when it did not finish. */
function succeeded(what: string, r: Outcome): void {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}:\n${r.stderr.slice(-4000)}`);
}

/** The final manifest's model weights, by role. */
function finalWeights(runDir: string): Record<string, Buffer> {
  const manifest = JSON.parse(readFileSync(path.join(runDir, 'checkpoints', 'checkpoint.json'), 'utf8')) as { models: Record<string, string> };
  return Object.fromEntries(Object.entries(manifest.models).map(([role, rel]) => [role, readFileSync(path.join(runDir, 'checkpoints', rel, 'model.safetensors'))]));
}

describe('SIGKILL at any point, then resume: the same result as an uninterrupted run', () => {
  it(`survives SIGKILL of the process group at ${POINTS.length} points over a 3-round run`, async () => {
    const ref = tempDir('apogee-fi-ref-');
    const t = tempDir('apogee-fi-');
    try {
      writeFileSync(path.join(ref.dir, 'c.yaml'), CONFIG);
      writeFileSync(path.join(t.dir, 'c.yaml'), CONFIG);
      const straight = await runUntil(['run', '--config', 'c.yaml'], ref.dir);
      succeeded('the uninterrupted run', straight);

      const survived: string[] = [];
      let started = false;
      for (const point of POINTS) {
        const args = started ? ['resume', 'run'] : ['run', '--config', 'c.yaml'];
        const r = await runUntil(args, t.dir, point.at);
        if (!r.killed) {
          // It finished (or failed) before reaching this point: a failure is the finding.
          succeeded(`the process meant to be killed ${point.name}`, r);
          break;
        }
        survived.push(point.name);
        started = true;
      }
      // Finish the run.
      const last = await runUntil(['resume', 'run'], t.dir);
      succeeded(`the final resume (after kills ${survived.join('; ')})`, last);
      expect(survived.length).toBeGreaterThanOrEqual(10);

      const summary = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'run', 'summary.json'), 'utf8'));
      expect(summary(t.dir)).toEqual(summary(ref.dir));
      const a = finalWeights(path.join(t.dir, 'run'));
      const b = finalWeights(path.join(ref.dir, 'run'));
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const role of Object.keys(b)) expect({ role, same: a[role].equals(b[role]) }).toEqual({ role, same: true });
    } finally {
      ref.cleanup();
      t.cleanup();
    }
  }, 600_000);
});
