import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, ioError, MAX_LISTED_PROBLEMS } from './errors';

describe('ApogeeError', () => {
  it('keeps at most 50 problems and counts the rest (issue 17 item 4: capped error lists everywhere)', () => {
    const problems = Array.from({ length: 12_000 }, (_, i) => ({ path: `h.${i}.ln_1.weight`, message: 'missing' }));
    const e = new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, 'bad', { problems });
    expect(e.problems).toHaveLength(MAX_LISTED_PROBLEMS + 1);
    expect(e.problems[MAX_LISTED_PROBLEMS]).toEqual({ path: '…', message: 'and 11950 more problems not listed' });
    expect(e.describe().split('\n')).toHaveLength(MAX_LISTED_PROBLEMS + 2);
    expect(new ApogeeError(ERROR_CODES.DATA_INVALID, 'x', { problems, maxProblems: Infinity }).problems).toHaveLength(12_000);
  });
});

describe('ioError', () => {
  it('names the path and the errno in words (issue 17 item 5)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-io-'));
    const file = path.join(dir, 'taken');
    fs.writeFileSync(file, 'x');
    let raw: unknown;
    try {
      fs.mkdirSync(file);
    } catch (e) {
      raw = e;
    }
    const e = ioError(raw, 'create the folder') as ApogeeError;
    expect(e.code).toBe(ERROR_CODES.IO_FAILED);
    expect(e.message).toBe(`Cannot create the folder ${file}: it already exists (EEXIST).`);
    const nospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    expect((ioError(nospc, 'write', 'runs/a/summary.json') as ApogeeError).message).toBe('Cannot write runs/a/summary.json: no space left on the device (ENOSPC).');
    // Anything else passes through.
    const bug = new TypeError('x is undefined');
    expect(ioError(bug)).toBe(bug);
    fs.rmSync(dir, { recursive: true });
  });
});
