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
