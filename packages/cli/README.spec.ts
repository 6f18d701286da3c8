// The README's usage example, verbatim in substance: it must keep working.
import { cpSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli, memoryIo } from './src';

it('README example runs', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'apogee-readme-'));
  cpSync(path.join(__dirname, 'test-fixtures', 'quickstart-run'), path.join(dir, 'test-fixtures', 'quickstart-run'), { recursive: true });
  try {
    const io = memoryIo(dir);
    await runCli(['config', 'init', 'apogee.yaml'], { io });
    const code = await runCli(['config', 'validate', 'apogee.yaml'], { io });
    await runCli(['report', 'test-fixtures/quickstart-run'], { io });
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/apogee.yaml is valid \(9 plugins, 3 rounds, seed 1\)/);
    expect(existsSync(path.join(dir, 'test-fixtures', 'quickstart-run', 'report.html'))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
