import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES } from '@apogee/core';
import { makeTempDir } from '@apogee/testing';
import { readSafetensors, readSafetensorsHeader } from './read';
import { writeSafetensors } from './write';
import type { WritableTensor } from './dtypes';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const fixture = (name: string): string => path.join(FIXTURES, name);
const num = (v: number | string): number => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number));

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('apogee-safetensors-');
});
afterAll(() => tmp.cleanup());

describe('writeSafetensors / readSafetensors', () => {
  it('round-trips F32 and I32 tensors and metadata', async () => {
    const file = path.join(tmp.dir, 'rt.safetensors');
    const tensors = new Map<string, WritableTensor>([
      ['b', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, NaN]) }],
      ['a', { dtype: 'I32', shape: [4], data: Int32Array.from([0, -1, 2147483647, -2147483648]) }],
      ['s', { dtype: 'F32', shape: [], data: Float32Array.from([7]) }],
      ['z', { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) }],
    ]);
    await writeSafetensors(file, tensors, { format: 'pt' });
    const { tensors: back, metadata } = await readSafetensors(file);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...back.keys()]).toEqual(['a', 'b', 's', 'z']);
    for (const [name, t] of tensors) {
      const r = back.get(name)!;
      expect([r.dtype, r.shape]).toEqual([t.dtype, t.shape]);
      expect(r.data).toBeInstanceOf(t.dtype === 'F32' ? Float32Array : Int32Array);
      expect(Array.from(r.data)).toEqual(Array.from(t.data));
    }
    const h = await readSafetensorsHeader(file);
    expect(h.dataStart % 8).toBe(0);
    expect(h.tensors.get('b')!.dataOffsets).toEqual([16, 40]);
  });

  it('writes subarray views (byteOffset ≠ 0) correctly', async () => {
    const file = path.join(tmp.dir, 'view.safetensors');
    const big = Float32Array.from([9, 9, 1, 2, 3, 9]);
    await writeSafetensors(file, { v: { dtype: 'F32', shape: [3], data: big.subarray(2, 5) } });
    expect(Array.from((await readSafetensors(file)).tensors.get('v')!.data)).toEqual([1, 2, 3]);
  });

  it('reads only the tensors asked for, and names missing ones', async () => {
    const file = fixture('compat-f32-i32.safetensors');
    const { tensors } = await readSafetensors(file, { names: ['step', 'wte.weight'] });
    expect([...tensors.keys()].sort()).toEqual(['step', 'wte.weight']);
    expect(Array.from(tensors.get('step')!.data)).toEqual([42]);
    await expect(readSafetensors(file, { names: ['wte.weight', 'lm_head.weight'] })).rejects.toThrow(/has no tensor "lm_head.weight"/);
  });

  it('reads a small tensor from a 1.6 GB file without touching the big one (sparse file)', async () => {
    const file = path.join(tmp.dir, 'sparse.safetensors');
    const big = 400_000_000;
    const header = Buffer.from(JSON.stringify({ small: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, big: { dtype: 'F32', shape: [big], data_offsets: [16, 16 + 4 * big] } }));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    fs.writeFileSync(file, Buffer.concat([prefix, header, Buffer.from(Float32Array.from([1, 2, 3, 4]).buffer)]));
    fs.truncateSync(file, 8 + header.length + 16 + 4 * big); // a hole: no disk space, reads as zeros
    const rss = process.memoryUsage().rss;
    const { tensors } = await readSafetensors(file, { names: ['small'] });
    expect(Array.from(tensors.get('small')!.data)).toEqual([1, 2, 3, 4]);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
    expect((await readSafetensorsHeader(file)).tensors.get('big')!.dataOffsets).toEqual([16, 16 + 4 * big]);
    fs.rmSync(file);
  });

  it('is byte-exact with the hand-written Python fixture (read and write)', async () => {
    const file = fixture('compat-f32-i32.safetensors');
    const expected = JSON.parse(fs.readFileSync(fixture('compat-f32-i32.expected.json'), 'utf8')) as {
      metadata: Record<string, string>;
      tensors: Record<string, { dtype: 'F32' | 'I32'; shape: number[]; values: number[] }>;
    };
    const { tensors, metadata } = await readSafetensors(file);
    expect(metadata).toEqual(expected.metadata);
    const rebuilt: Record<string, WritableTensor> = {};
    for (const [name, e] of Object.entries(expected.tensors)) {
      const t = tensors.get(name)!;
      expect([t.dtype, t.shape, Array.from(t.data)]).toEqual([e.dtype, e.shape, e.values]);
      rebuilt[name] = { dtype: e.dtype, shape: e.shape, data: e.dtype === 'F32' ? Float32Array.from(e.values) : Int32Array.from(e.values) };
    }
    const out = path.join(tmp.dir, 'compat.safetensors');
    await writeSafetensors(out, rebuilt, { format: 'pt', apogee: 'fixture' });
    expect(Buffer.compare(fs.readFileSync(out), fs.readFileSync(file))).toBe(0);
  });

  it('reads every supported dtype written by Python, converting to float32/int32 as documented', async () => {
    const expected = JSON.parse(fs.readFileSync(fixture('all-dtypes.expected.json'), 'utf8')) as Record<string, { shape: number[]; values: (number | string)[] }>;
    const { tensors, metadata } = await readSafetensors(fixture('all-dtypes.safetensors'));
    expect(metadata).toEqual({ format: 'np' });
    const kinds: Record<string, [string, unknown]> = {
      f64: ['F64', Float32Array], f32: ['F32', Float32Array], f16: ['F16', Float32Array], bf16: ['BF16', Float32Array],
      i64: ['I64', Int32Array], i32: ['I32', Int32Array], i16: ['I16', Int16Array], i8: ['I8', Int8Array], u8: ['U8', Uint8Array], bool: ['BOOL', Uint8Array],
    };
    for (const [name, e] of Object.entries(expected)) {
      const t = tensors.get(name)!;
      expect([name, t.dtype, t.shape]).toEqual([name, kinds[name][0], e.shape]);
      expect(t.data).toBeInstanceOf(kinds[name][1] as typeof Float32Array);
      expect(Array.from(t.data)).toEqual(e.values.map(num));
    }
  });

  it('rejects bad tensors on write without touching an existing file', async () => {
    const file = path.join(tmp.dir, 'keep.safetensors');
    await writeSafetensors(file, { a: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) } });
    const before = fs.readFileSync(file);
    const attempts: [Record<string, WritableTensor>, RegExp][] = [
      [{ a: { dtype: 'F32', shape: [2], data: Float32Array.from([1]) } }, /has 2 elements but data has 1/],
      [{ a: { dtype: 'F16' as 'F32', shape: [1], data: Float32Array.from([1]) } }, /not writable/],
      [{ a: { dtype: 'I32', shape: [1], data: Float32Array.from([1]) as unknown as Int32Array } }, /must be a Int32Array/],
      [{ a: { dtype: 'F32', shape: [-1], data: Float32Array.from([1]) } }, /non-negative integers/],
      [{ __metadata__: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) } }, /not allowed/],
    ];
    for (const [tensors, message] of attempts) {
      await expect(writeSafetensors(file, tensors)).rejects.toThrow(message);
      await expect(writeSafetensors(file, tensors)).rejects.toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
    }
    await expect(writeSafetensors(file, {}, { n: 1 as unknown as string })).rejects.toThrow(/metadata "n" must be a string/);
    expect(Buffer.compare(fs.readFileSync(file), before)).toBe(0);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes an empty file that reads back empty', async () => {
    const file = path.join(tmp.dir, 'empty.safetensors');
    await writeSafetensors(file, {});
    expect(fs.statSync(file).size).toBe(16);
    expect((await readSafetensors(file)).tensors.size).toBe(0);
  });
});
