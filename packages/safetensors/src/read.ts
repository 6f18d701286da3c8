import * as fs from 'node:fs';
import * as os from 'node:os';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { DTYPE_BYTES, f16ToF32, isSafeDtype, SAFE_DTYPES, type SafeTensor, type SafeTensorData } from './dtypes';
import { invalid, parseHeader, parseHeaderLength, type SafeTensorInfo, type SafetensorsHeader } from './header';

/** Largest single positioned read; bigger tensors are read in several. */
const MAX_READ = 1 << 30;

export interface ReadSafetensorsOptions {
  /** Read only these tensors (in any order); every name must exist. Default: all. */
  names?: string[];
}

export interface SafetensorsContents {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

function assertLittleEndianHost(): void {
  if (os.endianness() !== 'LE') {
    throw new ApogeeError(ERROR_CODES.INTERNAL, '@apogee/safetensors supports little-endian hosts only (safetensors data is little-endian).');
  }
}

async function open(file: string): Promise<fs.promises.FileHandle> {
  try {
    return await fs.promises.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: cannot open safetensors file (${code ?? (e as Error).message})`, {
      hint: code === 'ENOENT' ? 'Check the path: the file does not exist.' : undefined,
      cause: e,
    });
  }
}

/** Fill `into` from the file at `position`, looping over short reads; a premature end is an error. */
async function readExactly(handle: fs.promises.FileHandle, file: string, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const length = Math.min(MAX_READ, into.length - done);
    const { bytesRead } = await handle.read(into, done, length, position + done);
    if (bytesRead === 0) throw invalid(file, `the file ended at byte ${position + done} while ${into.length - done} more bytes were expected (was it truncated while reading?)`);
    done += bytesRead;
  }
}

async function readHeaderFrom(handle: fs.promises.FileHandle, file: string): Promise<SafetensorsHeader> {
  const { size } = await handle.stat();
  const prefix = new Uint8Array(8);
  if (size >= 8) await readExactly(handle, file, prefix, 0);
  const headerLength = parseHeaderLength(file, prefix, size);
  const headerBytes = new Uint8Array(headerLength);
  await readExactly(handle, file, headerBytes, 8);
  return parseHeader(file, headerBytes, size);
}

/** Read and validate a file's header only (8 + header-length bytes are read). */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const handle = await open(file);
  try {
    return await readHeaderFrom(handle, file);
  } finally {
    await handle.close();
  }
}

/** Read one tensor's bytes straight into a typed array of the right kind, converting where needed. */
async function readTensor(handle: fs.promises.FileHandle, file: string, name: string, info: SafeTensorInfo, dataStart: number): Promise<SafeTensorData> {
  const dtype = info.dtype;
  if (!isSafeDtype(dtype)) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: tensor "${name}" has dtype ${dtype}, which apogee cannot read (readable: ${SAFE_DTYPES.join(', ')}).`, {
      hint: 'Convert the checkpoint to float32 (or float16/bfloat16), or pass `names` to read only the other tensors.',
    });
  }
  const [begin, end] = info.dataOffsets;
  const count = (end - begin) / DTYPE_BYTES[dtype];
  const position = dataStart + begin;
  const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  // Uninitialised memory (no zero-fill): readExactly overwrites every byte or throws.
  const raw = (bytes: number): ArrayBuffer => Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
  const readInto = async <T extends ArrayBufferView>(out: T): Promise<T> => {
    await readExactly(handle, file, bytesOf(out), position);
    return out;
  };
  switch (dtype) {
    case 'F32':
      return readInto(new Float32Array(raw(count * 4), 0, count));
    case 'I32':
      return readInto(new Int32Array(raw(count * 4), 0, count));
    case 'I16':
      return readInto(new Int16Array(raw(count * 2), 0, count));
    case 'I8':
      return readInto(new Int8Array(raw(count), 0, count));
    case 'U8':
    case 'BOOL':
      return readInto(new Uint8Array(raw(count), 0, count));
    case 'F64': {
      return Float32Array.from(await readInto(new Float64Array(raw(count * 8), 0, count)));
    }
    case 'F16': {
      const half = await readInto(new Uint16Array(raw(count * 2), 0, count));
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16ToF32(half[i]);
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits into place.
      const half = await readInto(new Uint16Array(raw(count * 2), 0, count));
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = half[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I64': {
      // Little-endian int64 as (low, high) int32 pairs: it fits in int32 iff high is low's sign.
      const pairs = await readInto(new Int32Array(raw(count * 8), 0, count * 2));
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = pairs[2 * i];
        const hi = pairs[2 * i + 1];
        if (hi !== lo >> 31) {
          const value = (BigInt(hi) << 32n) + BigInt(lo >>> 0);
          throw invalid(file, `tensor "${name}": I64 element ${i} is ${value}, outside the int32 range apogee reads I64 into`, 'apogee reads I64 tensors as Int32Array; values must lie in [-2147483648, 2147483647].');
        }
        out[i] = lo;
      }
      return out;
    }
  }
}

/**
 * Read tensors from a safetensors file with positioned reads: the header once, then each asked-for
 * tensor's bytes once, straight into its typed array. Tensors not asked for are never read.
 * F16/BF16/F64 are widened or narrowed to Float32Array; I64 becomes Int32Array (range-checked).
 * Malformed files raise `APOGEE_MODEL_FILE_INVALID` naming the file and the problem.
 */
export async function readSafetensors(file: string, options: ReadSafetensorsOptions = {}): Promise<SafetensorsContents> {
  assertLittleEndianHost();
  const handle = await open(file);
  try {
    const header = await readHeaderFrom(handle, file);
    let wanted: [string, SafeTensorInfo][];
    if (options.names) {
      const missing = options.names.filter((n) => !header.tensors.has(n));
      if (missing.length > 0) {
        const have = [...header.tensors.keys()];
        throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: has no tensor ${missing.map((n) => `"${n}"`).join(', ')}`, {
          hint: `It holds ${have.length} tensors${have.length > 0 ? `: ${have.slice(0, 20).join(', ')}${have.length > 20 ? ', …' : ''}` : ''}.`,
        });
      }
      const set = new Set(options.names);
      wanted = [...header.tensors].filter(([n]) => set.has(n));
    } else {
      wanted = [...header.tensors];
    }
    const tensors = new Map<string, SafeTensor>();
    for (const [name, info] of wanted) {
      tensors.set(name, { dtype: info.dtype as SafeTensor['dtype'], shape: [...info.shape], data: await readTensor(handle, file, name, info, header.dataStart) });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await handle.close();
  }
}
