// Streaming keeps memory bounded: a 40 MB JSONL of non-ASCII dialogues is read in a child process
// whose V8 heap is capped at 40 MB. Holding the records needs ~158 MB of heap (measured: the text
// becomes two-byte JS strings; a naive read-split-parse dies with "heap out of memory" under the
// same cap), so the read only succeeds if records are not retained.
// The 1 GB figure comes from the same script: see docs/guides/data.md.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';

it('reads a 40 MB JSONL with a 40 MB heap cap and bounded RSS', () => {
  const { dir, cleanup } = makeTempDir('apogee-stream-');
  try {
    const script = path.join(__dirname, '..', 'bench', 'data-stream.ts');
    const child = spawnSync(process.execPath, ['--max-old-space-size=40', '--conditions=@apogee/source', '--import', 'tsx', script, '--mb', '40', '--dir', dir], {
      encoding: 'utf8',
      cwd: path.join(__dirname, '..'),
    });
    expect(child.stderr.replace(/.*nodedir.*\n?/g, '')).toBe('');
    expect(child.status).toBe(0);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!);
    expect(r.records).toBe(r.generated);
    expect(r.records).toBeGreaterThan(39_000);
    expect(r.problems).toBe(0);
    // Peak RSS grows by far less than the file's size in JS strings.
    expect(r.peakRssMB - r.rssAfterImportMB).toBeLessThan(80);
  } finally {
    cleanup();
  }
}, 120_000);
