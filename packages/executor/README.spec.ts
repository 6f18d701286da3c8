// The README's usage example: it must keep working (with a test task instead of the game's).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '@apogee/core';
import { createExecutor } from './src';

it('README example runs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-readme-'));
  const executor = createExecutor({ kind: 'in-process' });
  try {
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    const hash = await executor.publish(dir);
    const task = { module: path.join(__dirname, 'src', 'testing', 'tasks.ts'), name: 'readSnapshot' };
    const progress: string[] = [];
    const outputs = await executor.map<unknown, { text: string }>(task, [{ hash, file: 'config.json' }], {
      onProgress: (done, total) => progress.push(`${done}/${total} jobs`),
    });
    expect(outputs[0].text).toBe('{}');
    expect(progress).toEqual(['1/1 jobs']);
    const draws = await executor.map(
      { module: task.module, name: 'draw' },
      [0, 1].map((s) => ({ rng: Rng.fromSeed(1).stream(`shard-${s}`).getState(), n: 1 })),
    );
    expect(draws).toHaveLength(2);
  } finally {
    await executor.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
