import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES } from '@apogee/core';
import { makeTempDir } from '@apogee/testing';
import { readSafetensors, readSafetensorsHeader } from './read';

let tmp: ReturnType<typeof makeTempDir>;
let n = 0;
beforeAll(() => {
  tmp = makeTempDir('apogee-safetensors-bad-');
});
afterAll(() => tmp.cleanup());

/** Write `[u64 header length][header][data]`; `headerLength` overrides the true length. */
function file(header: string | object, data: Uint8Array | number = 0, headerLength?: bigint): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(headerLength ?? BigInt(text.length));
  const p = path.join(tmp.dir, `bad-${n++}.safetensors`);
  fs.writeFileSync(p, Buffer.concat([prefix, text, typeof data === 'number' ? Buffer.alloc(data) : data]));
  return p;
}

const f32 = (shape: number[], offsets: number[]): object => ({ dtype: 'F32', shape, data_offsets: offsets });

async function expectInvalid(p: string, message: RegExp): Promise<void> {
  for (const read of [() => readSafetensors(p), () => readSafetensorsHeader(p)]) {
    const error = await read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'ApogeeError', code: ERROR_CODES.MODEL_FILE_INVALID });
    expect((error as Error).message).toContain(p);
    expect((error as Error).message).toMatch(message);
  }
}

describe('malformed safetensors files', () => {
  it('a file shorter than 8 bytes', async () => {
    const p = path.join(tmp.dir, 'tiny.safetensors');
    fs.writeFileSync(p, Buffer.from([1, 2, 3]));
    await expectInvalid(p, /3 bytes, shorter than the 8-byte header length/);
  });

  it('a header length beyond the file', async () => {
    await expectInvalid(file('{}', 0, 1000n), /header length \(1000 bytes\) runs past the end of the file \(10 bytes\)/);
    await expectInvalid(file('{}', 0, 0xffffffffffffffffn), /runs past the end of the file/);
  });

  it('a header that is not JSON, or not an object', async () => {
    await expectInvalid(file('{"a": '), /header is not JSON/);
    await expectInvalid(file('[1, 2]'), /not an object \(got an array\)/);
    await expectInvalid(file('null'), /not an object \(got null\)/);
    await expectInvalid(file(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1')), /not JSON|not valid UTF-8/);
  });

  it('unknown dtypes', async () => {
    await expectInvalid(file({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), /tensor "w": unknown dtype "F128" \(the format defines BOOL, U8/);
    await expectInvalid(file({ w: { shape: [1], data_offsets: [0, 4] } }, 4), /unknown dtype undefined/);
  });

  it('format dtypes apogee cannot read: the header is inspectable, other tensors readable, that one a clear error', async () => {
    const p = file({ a: f32([1], [0, 4]), q: { dtype: 'F8_E4M3', shape: [2], data_offsets: [4, 6] }, u: { dtype: 'U32', shape: [1], data_offsets: [6, 10] } }, 10);
    expect((await readSafetensorsHeader(p)).tensors.get('q')).toEqual({ dtype: 'F8_E4M3', shape: [2], dataOffsets: [4, 6] });
    expect([...(await readSafetensors(p, { names: ['a'] })).tensors.keys()]).toEqual(['a']);
    await expect(readSafetensors(p)).rejects.toMatchObject({ code: ERROR_CODES.MODEL_FILE_INVALID, message: expect.stringMatching(/tensor "q" has dtype F8_E4M3, which apogee cannot read/) });
  });

  it('shapes with negative or non-integer dims', async () => {
    await expectInvalid(file({ w: f32([-1, 4], [0, 16]) }, 16), /shape \[-1,4\] is not a list of non-negative integers/);
    await expectInvalid(file({ w: f32([1.5], [0, 4]) }, 4), /shape \[1.5\]/);
    await expectInvalid(file({ w: { dtype: 'F32', shape: '4', data_offsets: [0, 16] } }, 16), /shape "4"/);
  });

  it('a shape whose byte size differs from its offsets', async () => {
    await expectInvalid(file({ w: f32([2, 2], [0, 12]) }, 12), /F32 shape \[2, 2\] needs 16 bytes but data_offsets \[0, 12\] span 12/);
  });

  it('bad, overlapping, out-of-range or non-contiguous offsets', async () => {
    await expectInvalid(file({ w: f32([1], [4, 0]) }, 4), /data_offsets \[4,0\] is not \[begin, end\]/);
    await expectInvalid(file({ w: f32([1], [-4, 0]) }, 4), /is not \[begin, end\]/);
    await expectInvalid(file({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, 12), /tensor "b": data_offsets \[4, 12\] overlap tensor "a"/);
    await expectInvalid(file({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, 12), /tensor "b": .* leave a gap after byte 4/);
    await expectInvalid(file({ a: f32([1], [0, 4]) }, 8), /holds 8 bytes but the tensors cover only 4/);
  });

  it('a file shorter than its data', async () => {
    await expectInvalid(file({ a: f32([4], [0, 16]) }, 10), /reach past the data section \(10 bytes\): the file is shorter than its data/);
  });

  it('bad __metadata__', async () => {
    await expectInvalid(file({ __metadata__: { n: 1 } }), /"__metadata__"."n" is not a string/);
    await expectInvalid(file({ __metadata__: [] }), /"__metadata__" is not an object/);
  });

  it('a header claiming a 100 GB tensor fails fast without allocating it', async () => {
    const p = file({ huge: f32([25_000_000_000], [0, 100_000_000_000]) }, 64);
    const rss = process.memoryUsage().rss;
    const started = Date.now();
    await expectInvalid(p, /tensor "huge": data_offsets \[0, 100000000000\] reach past the data section \(64 bytes\)/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
  });

  it('a header claiming more elements than can be addressed', async () => {
    await expectInvalid(file({ w: f32([2 ** 30, 2 ** 30, 2 ** 30], [0, 4]) }, 4), /more elements than can be addressed/);
  });

  it('an I64 value outside the int32 range', async () => {
    const data = Buffer.alloc(16);
    data.writeBigInt64LE(7n, 0);
    data.writeBigInt64LE(2n ** 40n, 8);
    const p = file({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data);
    await expect(readSafetensors(p)).rejects.toThrow(/tensor "ids": I64 element 1 is 1099511627776, outside the int32 range/);
    expect((await readSafetensorsHeader(p)).tensors.get('ids')!.dtype).toBe('I64');
  });

  it('a missing file', async () => {
    await expect(readSafetensors(path.join(tmp.dir, 'nope.safetensors'))).rejects.toMatchObject({
      code: ERROR_CODES.MODEL_FILE_INVALID,
      message: expect.stringContaining('ENOENT'),
    });
  });
});
