import * as os from 'node:os';
import { ApogeeError, ERROR_CODES, writeFileAtomic } from '@apogee/core';
import type { WritableTensor } from './dtypes';

function bad(file: string, problem: string): ApogeeError {
  return new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `writeSafetensors(${file}): ${problem}`);
}

/** Encode `"key":value` pairs in the given order (JSON.stringify would hoist integer-like keys). */
function jsonObject(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/**
 * Write tensors as a safetensors file, atomically (temporary file, fsync, rename).
 *
 * The bytes are deterministic: `__metadata__` first (keys sorted), then tensors sorted by name
 * (code-point order) with contiguous offsets, the JSON header padded with spaces to a multiple of 8
 * bytes, as the Rust `safetensors` library does for F32/I32 tensors.
 */
export async function writeSafetensors(
  file: string,
  tensors: Record<string, WritableTensor> | ReadonlyMap<string, WritableTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  if (os.endianness() !== 'LE') throw new ApogeeError(ERROR_CODES.INTERNAL, '@apogee/safetensors supports little-endian hosts only.');
  const list = tensors instanceof Map ? [...(tensors as ReadonlyMap<string, WritableTensor>)] : Object.entries(tensors as Record<string, WritableTensor>);
  // UTF-8 byte order is code-point order, as Rust and Python sort strings.
  list.sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const entries: [string, string][] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    for (const k of keys) if (typeof metadata[k] !== 'string') throw bad(file, `metadata "${k}" must be a string, got ${typeof metadata[k]}`);
    entries.push(['__metadata__', jsonObject(keys.map((k) => [k, JSON.stringify(metadata[k])]))]);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    if (name.length === 0 || name === '__metadata__') throw bad(file, `tensor name ${JSON.stringify(name)} is not allowed`);
    if (t.dtype !== 'F32' && t.dtype !== 'I32') throw bad(file, `tensor "${name}": dtype ${JSON.stringify(t.dtype)} is not writable (allowed: F32, I32)`);
    const expected = t.dtype === 'F32' ? Float32Array : Int32Array;
    if (!(t.data instanceof expected)) throw bad(file, `tensor "${name}": ${t.dtype} data must be a ${expected.name}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(file, `tensor "${name}": shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw bad(file, `tensor "${name}": shape [${t.shape.join(', ')}] has ${count} elements but data has ${t.data.length}`);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    entries.push([name, `{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes.length}]}`]);
    chunks.push(bytes);
    offset += bytes.length;
  }
  let header = jsonObject(entries);
  const headerBytes = Buffer.from(header, 'utf8');
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  header += ' '.repeat(padded - headerBytes.length);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(padded), true);
  await writeFileAtomic(file, [prefix, Buffer.from(header, 'utf8'), ...chunks]);
}
