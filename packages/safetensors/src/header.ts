import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { FORMAT_DTYPE_BYTES, isFormatDtype } from './dtypes';

/**
 * The safetensors spec caps the JSON header at 100 MB; anything larger is rejected before a byte
 * of it is allocated.
 */
export const MAX_HEADER_BYTES = 100_000_000;

/** Where one tensor lives, as the header says (offsets relative to the start of the data section). */
export interface SafeTensorInfo {
  /** Any dtype of the format (`SafeDtype`s can be read; others, such as U32 or F8_E4M3, only inspected). */
  dtype: string;
  shape: number[];
  /** `[begin, end)` byte offsets into the data section. */
  dataOffsets: [number, number];
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** Length of the JSON header in bytes (the first 8 bytes of the file, little-endian). */
  headerLength: number;
  /** Absolute file offset of the data section (`8 + headerLength`). */
  dataStart: number;
  /** File size in bytes. */
  fileSize: number;
  /** Tensors in file order (by data offset). */
  tensors: Map<string, SafeTensorInfo>;
  /** `__metadata__` (string → string), empty when absent. */
  metadata: Record<string, string>;
}

export function invalid(file: string, problem: string, hint?: string, cause?: unknown): ApogeeError {
  return new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: not a valid safetensors file: ${problem}`, {
    hint: hint ?? 'Re-export the file (e.g. with the Python `safetensors` package or apogee) or check that the download completed.',
    cause,
  });
}

/** Decode the 8-byte little-endian header length, refusing values past the file or the spec's cap. */
export function parseHeaderLength(file: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8) throw invalid(file, `the file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw invalid(file, `the header length (${n} bytes) runs past the end of the file (${fileSize} bytes)`);
  }
  if (n > BigInt(MAX_HEADER_BYTES)) throw invalid(file, `the header length (${n} bytes) exceeds the 100 MB limit of the format`);
  if (n < 2n) throw invalid(file, `the header length is ${n} bytes, too short for a JSON object`);
  return Number(n);
}

function product(file: string, name: string, shape: number[]): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) throw invalid(file, `tensor "${name}": shape [${shape.join(', ')}] has more elements than can be addressed`);
  }
  return n;
}

/**
 * Parse and validate the JSON header: known dtypes, shapes of non-negative integers, offsets that
 * match each shape's byte size and tile the data section exactly (no overlap, no gap, nothing past
 * the end). Nothing the header claims is allocated.
 */
export function parseHeader(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const headerLength = headerBytes.length;
  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (e) {
    throw invalid(file, 'the header is not valid UTF-8', undefined, e);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(file, `the header is not JSON (${(e as Error).message})`, undefined, e);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid(file, `the header is JSON but not an object (got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json})`);
  }
  const metadata: Record<string, string> = {};
  const entries: [string, SafeTensorInfo][] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(file, '"__metadata__" is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw invalid(file, `"__metadata__"."${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(file, `tensor "${name}": its entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (!isFormatDtype(dtype)) {
      throw invalid(file, `tensor "${name}": unknown dtype ${JSON.stringify(dtype)} (the format defines ${Object.keys(FORMAT_DTYPE_BYTES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw invalid(file, `tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) || offsets[0] > offsets[1]) {
      throw invalid(file, `tensor "${name}": data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 ≤ begin ≤ end`);
    }
    const bytes = product(file, name, shape as number[]) * FORMAT_DTYPE_BYTES[dtype];
    const [begin, end] = offsets as [number, number];
    if (end - begin !== bytes) {
      throw invalid(file, `tensor "${name}": ${dtype} shape [${shape.join(', ')}] needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push([name, { dtype, shape: [...(shape as number[])], dataOffsets: [begin, end] }]);
  }
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let at = 0;
  let previous = '';
  for (const [name, info] of entries) {
    const [begin, end] = info.dataOffsets;
    if (begin < at) throw invalid(file, `tensor "${name}": data_offsets [${begin}, ${end}] overlap tensor "${previous}" (which ends at ${at})`);
    if (begin > at) throw invalid(file, `tensor "${name}": data_offsets [${begin}, ${end}] leave a gap after byte ${at} (the data must be contiguous)`);
    if (end > dataLength) {
      throw invalid(file, `tensor "${name}": data_offsets [${begin}, ${end}] reach past the data section (${dataLength} bytes): the file is shorter than its data`);
    }
    at = end;
    previous = name;
  }
  if (at !== dataLength) throw invalid(file, `the data section holds ${dataLength} bytes but the tensors cover only ${at}`);
  return { headerLength, dataStart, fileSize, tensors: new Map(entries), metadata };
}
