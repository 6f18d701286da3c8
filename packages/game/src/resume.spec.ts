import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';

const PACKAGE = path.join(__dirname, '..');
const PLAY = path.join(PACKAGE, 'test', 'play.ts');

interface Outcome {
  result?: { metrics: Array<Record<string, number>>; weights: string };
  killedAt?: string;
  code: number | null;
  stderr: string;
}

/**
 * Run the tiny game in a child process; SIGKILL it right after the first stdout event line that
 * `killWhen` matches (nothing is flushed or cleaned up: the process just vanishes).
 */
function play(dir: string, mode: 'run' | 'resume', killWhen?: RegExp): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@apogee/source', PLAY, dir, mode], {
      cwd: PACKAGE,
      // esbuild (tsx) needs the decorator settings for every package's sources, not only this one's.
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(PACKAGE, '..', '..', 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const outcome: Outcome = { code: null, stderr: '' };
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('RESULT ')) outcome.result = JSON.parse(line.slice(7));
        if (killWhen && !outcome.killedAt && killWhen.test(line)) {
          outcome.killedAt = line;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (outcome.stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ...outcome, code }));
  });
}

describe('resume after SIGKILL (child processes)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let uninterrupted: Outcome['result'];
  let killed = 0;
  beforeAll(async () => {
    tmp = makeTempDir('apogee-resume-');
    const outcome = await play(path.join(tmp.dir, 'whole'), 'run');
    expect(outcome).toMatchObject({ code: 0 });
    uninterrupted = outcome.result;
  });
  afterAll(() => tmp.cleanup());

  it.each([
    ['before the first checkpoint (SFT of π₀)', /^EVENT step 0 /],
    ['mid-phase: round 1 RM training, step 2', /^EVENT step 1 train-rm 2$/],
    ['mid-phase: round 2 policy update', /^EVENT step 2 update-policy 1$/],
  ])('killed %s, resumed: same final metrics and weights', async (_label, killWhen) => {
    const dir = path.join(tmp.dir, `kill-${++killed}`);
    const first = await play(dir, 'run', killWhen);
    expect(first.killedAt).toBeDefined();
    expect(first.result).toBeUndefined();
    expect(fs.existsSync(path.join(dir, 'checkpoints'))).toBe(true);
    const resumed = await play(dir, 'resume');
    expect({ code: resumed.code, stderr: resumed.code === 0 ? '' : resumed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(resumed.result).toEqual(uninterrupted);
  });
});
