import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from './atomic-write';

describe('writeFileAtomic', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-atomic-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes strings, bytes and chunk lists, creating directories', async () => {
    const f = path.join(dir, 'a', 'b.txt');
    await writeFileAtomic(f, 'one');
    expect(fs.readFileSync(f, 'utf8')).toBe('one');
    await writeFileAtomic(f, [new Uint8Array([104, 105]), new Uint8Array([33])]);
    expect(fs.readFileSync(f, 'utf8')).toBe('hi!');
    await writeJsonAtomic(f, { x: 1 });
    expect(JSON.parse(fs.readFileSync(f, 'utf8'))).toEqual({ x: 1 });
  });

  it('leaves no temporary files behind and keeps the old file when writing fails', async () => {
    const f = path.join(dir, 'keep.txt');
    await writeFileAtomic(f, 'old');
    const bad = { [Symbol.iterator]: function* () { yield new Uint8Array([1]); throw new Error('disk on fire'); } };
    await expect(writeFileAtomic(f, bad as unknown as Uint8Array[])).rejects.toThrow('disk on fire');
    expect(fs.readFileSync(f, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('a failed atomic write leaves the directory exactly as it was (issue 20)', () => {
  const listing = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d, { recursive: true }).map(String).sort() : []);

  it('source error, rename refused, and folders it created: all undone before the promise rejects', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-atomic-fail-'));
    try {
      fs.writeFileSync(path.join(root, 'keep.txt'), 'old');
      const before = listing(root);
      // 1. The data's source throws mid-write.
      const bad = { [Symbol.iterator]: function* () { yield new Uint8Array([1]); throw new Error('source failed'); } };
      await expect(writeFileAtomic(path.join(root, 'keep.txt'), bad as unknown as Uint8Array[])).rejects.toThrow('source failed');
      expect(listing(root)).toEqual(before);
      // 2. The rename is refused: the target is a non-empty folder.
      fs.mkdirSync(path.join(root, 'taken'));
      fs.writeFileSync(path.join(root, 'taken', 'x'), 'x');
      const before2 = listing(root);
      await expect(writeFileAtomic(path.join(root, 'taken'), 'new')).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
      expect(listing(root)).toEqual(before2);
      // 3. Folders created for the file are removed again when the write fails.
      await expect(writeFileAtomic(path.join(root, 'a', 'b', 'c.txt'), bad as unknown as Uint8Array[])).rejects.toThrow('source failed');
      expect(listing(root)).toEqual(before2);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
