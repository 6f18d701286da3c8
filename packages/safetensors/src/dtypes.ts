/** The safetensors dtypes apogee reads. */
export const SAFE_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;
export type SafeDtype = (typeof SAFE_DTYPES)[number];

/**
 * Every dtype the safetensors format defines, with its element size. Headers with any of these are
 * valid; reading a tensor of a dtype outside `SAFE_DTYPES` is a clear error.
 */
export const FORMAT_DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  F64: 8, I64: 8, U64: 8,
};
export type FormatDtype = keyof typeof FORMAT_DTYPE_BYTES;

export function isFormatDtype(value: unknown): value is string {
  return typeof value === 'string' && Object.hasOwn(FORMAT_DTYPE_BYTES, value);
}

/** The dtypes `writeSafetensors` writes. */
export type WritableDtype = 'F32' | 'I32';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<SafeDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isSafeDtype(value: unknown): value is SafeDtype {
  return typeof value === 'string' && (SAFE_DTYPES as readonly string[]).includes(value);
}

/** The array a tensor's data comes back as: floats widen to Float32Array, I64 narrows to Int32Array. */
export type SafeTensorData = Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** A tensor read from a safetensors file. `dtype` is the file's dtype; `data` is row-major. */
export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  /** F64/F32/F16/BF16 → Float32Array; I64/I32 → Int32Array; I16 → Int16Array; I8 → Int8Array; U8/BOOL → Uint8Array. */
  data: SafeTensorData;
}

/** A tensor to write. */
export interface WritableTensor {
  dtype: WritableDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Half precision (IEEE 754 binary16) bits to a number. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
