import * as fs from 'node:fs';
import * as path from 'node:path';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { FIXTURES, tempDir } from '../testing/fixtures';
import { resolveExecutorConfig } from './executor-options';

describe('executor options of the CLI', () => {
  it('--workers and --queue override the config file, and 1 worker runs in-process', () => {
    const fromFile = { kind: 'local', workers: 4 } as const;
    expect(resolveExecutorConfig({}, fromFile)).toEqual(fromFile);
    expect(resolveExecutorConfig({ workers: 1 }, fromFile)).toEqual({ kind: 'in-process' });
    expect(resolveExecutorConfig({ workers: 'auto' }, undefined)).toEqual({ kind: 'local', workers: 'auto' });
    expect(resolveExecutorConfig({ queue: 'redis://h:1' }, fromFile)).toMatchObject({ kind: 'bullmq', url: 'redis://h:1', queue: 'apogee' });
    expect(() => resolveExecutorConfig({ workers: 2, queue: 'redis://h:1' }, undefined)).toThrow('Give either --workers');
  });

  it('rejects bad flags and executor fields before any work, and names an unreachable Redis', async () => {
    const t = tempDir();
    try {
      const config = path.join(FIXTURES, 'configs', 'tiny-dpo-apo.yaml');
      const cases: Array<[string[], string]> = [
        [['run', '-c', config, '--workers', '0'], '--workers must be a whole number from 1 to 1024 or "auto", got "0".'],
        [['run', '-c', config, '--queue', 'localhost:6379'], '--queue must be a Redis URL such as redis://127.0.0.1:6379, got "localhost:6379".'],
        [['worker', '--queue', 'redis://127.0.0.1:1'], 'Cannot reach Redis at redis://127.0.0.1:1'],
      ];
      fs.writeFileSync(path.join(t.dir, 'bad.yaml'), `${fs.readFileSync(config, 'utf8')}\nexecutor:\n  kind: local\n  workers: none\n`);
      cases.push([['run', '-c', path.join(t.dir, 'bad.yaml')], 'executor.workers']);
      for (const [args, message] of cases) {
        const io = memoryIo(t.dir);
        expect({ args, code: await runCli(args, { io }) }).toEqual({ args, code: 2 });
        expect(io.stderr).toContain(message);
      }
      const io = memoryIo(t.dir);
      expect(await runCli(['run', '-c', config, '--out', 'r', '--queue', 'redis://127.0.0.1:1'], { io })).toBe(2);
      expect(io.stderr).toContain('Cannot reach Redis at redis://127.0.0.1:1');
      expect(fs.existsSync(path.join(t.dir, 'r', 'checkpoints'))).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});
