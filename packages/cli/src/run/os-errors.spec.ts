// Operating-system errors are the user's to fix: named with the path and the errno in words,
// never "probably a bug in apogee" (issue 17 item 5).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { tempDir } from '../testing/fixtures';

describe('operating-system errors', () => {
  it('an outDir under a file (ENOTDIR) and a read-only folder (EACCES) are named with the path', async () => {
    const t = tempDir();
    try {
      writeFileSync(path.join(t.dir, 'afile'), 'x');
      writeFileSync(path.join(t.dir, 'c.yaml'), 'outDir: afile/run\nplugins: [byte-tokenizer, dpo-apo]\n');
      const io = memoryIo(t.dir);
      expect(await runCli(['run', '--config', 'c.yaml'], { io })).toBe(1);
      expect(io.stderr).toContain(`error: Cannot list ${path.join(t.dir, 'afile', 'run')}: a part of the path is a file, not a folder (ENOTDIR).`);
      expect(io.stderr).not.toContain('probably a bug');
      if (process.getuid?.() !== 0) {
        // Root ignores permissions; everyone else gets EACCES.
        mkdirSync(path.join(t.dir, 'locked'));
        chmodSync(path.join(t.dir, 'locked'), 0o500);
        const io2 = memoryIo(t.dir);
        expect(await runCli(['run', '--config', 'c.yaml', '--out', 'locked/run'], { io: io2 })).toBe(1);
        expect(io2.stderr).toMatch(/Cannot create the folder .*locked\/run: permission denied \(EACCES\)\./);
      }
    } finally {
      t.cleanup();
    }
  });
});
