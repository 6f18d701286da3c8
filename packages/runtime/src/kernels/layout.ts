/**
 * Data-movement kernels: `Transpose` (stride loops after merging axes that stay adjacent, so the
 * attention permutation [B,T,H,D]→[B,H,T,D] runs as a 3-D copy with contiguous D rows, on the
 * SIMD kernels when they are loaded),
 * `SplitV`, `Concat` (row copies with `TypedArray.set`), `Slice` and simple `StridedSlice` that
 * are not contiguous (row copies; the cpu kernel reads them one element at a time through index
 * arithmetic, ~0.4 µs per element).
 */
import { backend_util, slice_util, util, type DataType, type TensorInfo, type TypedArray } from '@tensorflow/tfjs-core';
import { type KernelArgs, type KernelOverride, isNumeric, sizeOf } from './types';
import { takeOutput } from './buffer-pool';
import { withSimd, type SimdKernels } from '../wasm/simd';

type Ctor = new (n: number) => TypedArray;

/** Below this many elements a plain loop beats `subarray` + `set` (which allocate a view). */
const SET_MIN = 64;

/**
 * An output array of n elements like `like`'s: float32 from apogee-cpu's pool (for kernels that
 * write every element, as Transpose, SplitV and Concat do), other types fresh.
 */
function outputLike(backend: object, like: TypedArray, n: number): TypedArray {
  return like instanceof Float32Array ? takeOutput(backend, n) : new (like.constructor as Ctor)(n);
}

/** Copies `n` elements from `src[from…]` to `dst[to…]`. */
function copy(src: TypedArray, from: number, dst: TypedArray, to: number, n: number): void {
  if (n >= SET_MIN) dst.set(src.subarray(from, from + n), to);
  else for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

/** Merges input axes that stay adjacent and in order under `perm`; drops size-1 axes. */
export function collapsePermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const keep = perm.filter((p) => shape[p] !== 1);
  // Groups of consecutive input axes, in output order.
  const groups: number[][] = [];
  for (const p of keep) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === p) last.push(p);
    else groups.push([p]);
  }
  // Order groups by their first input axis to get the collapsed input shape.
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  const newShape = byInput.map((g) => g.reduce((s, p) => s * shape[p], 1));
  const newPerm = groups.map((g) => byInput.indexOf(g));
  return { shape: newShape, perm: newPerm };
}

/** Fewer elements than this are transposed in JS (no call into the SIMD kernels). */
const TRANSPOSE_SIMD_MIN = 1024;

/**
 * Copies `x` (shape `shape`) into `out` permuted by `perm`. Any rank. Float32 permutations that
 * keep the last axis last (rows stay contiguous: the attention permutations) and have at most 5
 * axes run as row copies on the SIMD kernels when given.
 */
export function transposeInto(x: TypedArray, out: TypedArray, shape: readonly number[], perm: readonly number[], simd: SimdKernels | null = null): void {
  const rank = shape.length;
  if (rank === 0) {
    if (x.length > 0) out[0] = x[0];
    return;
  }
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  if (s === 0) return;
  const outShape = perm.map((p) => shape[p]);
  // Stride in the input for a step along each output axis.
  const step = perm.map((p) => inStrides[p]);
  if (simd && rank >= 2 && rank <= 5 && step[rank - 1] === 1 && s >= TRANSPOSE_SIMD_MIN && x instanceof Float32Array && out instanceof Float32Array) {
    const pad = 5 - rank;
    const sh = [...new Array<number>(pad).fill(1), ...outShape];
    const st = [...new Array<number>(pad).fill(0), ...step];
    const done = withSimd(simd, (kernels) => {
      const w = kernels.begin();
      const xp = w.input(x);
      const op = w.output(out);
      w.k.copyRows(xp, op, sh[0], sh[1], sh[2], sh[3], st[0], st[1], st[2], st[3], sh[4], sh[4]);
      w.collect(out, op);
      return true;
    }, () => false);
    if (done) return;
  }
  if (rank === 1) out.set(x.subarray(0, outShape[0]));
  else if (rank === 2) transpose2d(x, out, outShape, step);
  else if (rank === 3) transposeRows3(x, out, outShape, step);
  else if (rank <= 5) transposeNested5(x, out, rank === 4 ? [1, ...outShape] : outShape, rank === 4 ? [0, ...step] : step);
  else transposeOdometer(x, out, outShape, step);
}

/**
 * A true 2-D transpose (collapsing left no contiguous pair): 32×32 tiles keep both the reads and
 * the writes in cache. `step`: the input stride of a step along each output axis.
 */
function transpose2d(x: TypedArray, out: TypedArray, outShape: readonly number[], step: readonly number[]): void {
  const [r0, n] = outShape;
  const [s0, inc] = step;
  const TILE = 32;
  for (let i0 = 0; i0 < r0; i0 += TILE) {
    const i1 = Math.min(i0 + TILE, r0);
    for (let j0 = 0; j0 < n; j0 += TILE) {
      const j1 = Math.min(j0 + TILE, n);
      for (let i = i0; i < i1; i++) {
        let src = i * s0 + j0 * inc;
        const row = i * n;
        for (let j = j0; j < j1; j++, src += inc) out[row + j] = x[src];
      }
    }
  }
}

/** Rank 3: rows of the last output axis, copied with `set` when contiguous and long. */
function transposeRows3(x: TypedArray, out: TypedArray, outShape: readonly number[], step: readonly number[]): void {
  const [r0, r1, n] = outShape;
  const [s0, s1, inc] = step;
  let o = 0;
  for (let i = 0; i < r0; i++) {
    for (let j = 0; j < r1; j++) {
      let src = i * s0 + j * s1;
      if (inc === 1 && n >= SET_MIN) {
        out.set(x.subarray(src, src + n), o);
        o += n;
      } else {
        for (let k = 0; k < n; k++, src += inc) out[o++] = x[src];
      }
    }
  }
}

/**
 * Rank 5 (rank 4 as rank 5 with a leading 1): the attention permutations ([B,T,H,D]→[B,H,T,D],
 * [B,T,3,H,D]→[3,B,H,T,D]) as plain nested loops with contiguous innermost rows.
 */
function transposeNested5(x: TypedArray, out: TypedArray, sh: readonly number[], st: readonly number[]): void {
  const [n0, n1, n2, n3, n] = sh;
  const [s0, s1, s2, s3, inc] = st;
  let o = 0;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++) {
        let src = a * s0 + b * s1 + c * s2;
        for (let d = 0; d < n3; d++, src += s3) {
          if (inc === 1) {
            for (let e = 0; e < n; e++) out[o + e] = x[src + e];
            o += n;
          } else {
            for (let e = 0, q = src; e < n; e++, q += inc) out[o++] = x[q];
          }
        }
      }
    }
  }
}

/** Rank ≥ 6: an odometer over the outer axes, a tight loop over the last. */
function transposeOdometer(x: TypedArray, out: TypedArray, outShape: readonly number[], step: readonly number[]): void {
  const n = outShape[outShape.length - 1];
  const inc = step[step.length - 1];
  const outer = outShape.slice(0, -1);
  const idx = new Array<number>(outer.length).fill(0);
  let total = 1;
  for (const d of outer) total *= d;
  let base = 0;
  let o = 0;
  for (let t = 0; t < total; t++) {
    if (inc === 1 && n >= SET_MIN) {
      out.set(x.subarray(base, base + n), o);
      o += n;
    } else {
      for (let k = 0, src = base; k < n; k++, src += inc) out[o++] = x[src];
    }
    for (let d = outer.length - 1; d >= 0; d--) {
      idx[d]++;
      base += step[d];
      if (idx[d] < outer[d]) break;
      base -= step[d] * outer[d];
      idx[d] = 0;
    }
  }
}

export const transposeOverride: KernelOverride = {
  kernelName: 'Transpose',
  make: (state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<{ perm: number[] }>;
    const { x } = inputs;
    if (!isNumeric(x.dtype)) return fallback(args as never);
    const perm = attrs.perm;
    const outShape = perm.map((p) => x.shape[p]);
    const xv = backend.data.get(x.dataId).values as TypedArray;
    const out = outputLike(backend, xv, xv.length);
    const c = collapsePermutation(x.shape, perm);
    transposeInto(xv, out, c.shape, c.perm, state.simd);
    return backend.makeTensorInfo(outShape, x.dtype, out);
  },
};

interface SplitAttrs {
  numOrSizeSplits: number | number[];
  axis: number;
}

/**
 * `rows` rows of `width` floats from `x` (from element `from`, one every `xRow`) to `out` (from
 * `to`, one every `outRow`) on the SIMD kernels, when both arrays live in their arena (a copy in
 * or out would cost more than the row loop saves) and there are enough elements; false otherwise.
 */
function simdRows(simd: SimdKernels | null, x: TypedArray, from: number, xRow: number, out: TypedArray, to: number, outRow: number, width: number, rows: number): boolean {
  if (!simd || rows * width < TRANSPOSE_SIMD_MIN || !(x instanceof Float32Array) || !(out instanceof Float32Array) || !simd.resident(x) || !simd.resident(out)) return false;
  simd.k.copyRows(x.byteOffset + 4 * from, out.byteOffset + 4 * to, 1, 1, 1, rows, 0, 0, 0, xRow, width, outRow);
  return true;
}

export const splitVOverride: KernelOverride = {
  kernelName: 'SplitV',
  make: (state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<SplitAttrs>;
    const { x } = inputs;
    if (!isNumeric(x.dtype)) return fallback(args as never);
    const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const row = x.shape[axis] * inner;
    const xv = backend.data.get(x.dataId).values as TypedArray;
    let begin = 0;
    return sizes.map((size) => {
      const shape = [...x.shape];
      shape[axis] = size;
      const width = size * inner;
      const out = outputLike(backend, xv, outer * width);
      if (width > 0 && !simdRows(state.simd, xv, begin, row, out, 0, width, width, outer)) {
        for (let o = 0; o < outer; o++) {
          const src = o * row + begin;
          copy(xv, src, out, o * width, width);
        }
      }
      begin += width;
      return backend.makeTensorInfo(shape, x.dtype, out);
    });
  },
};

export const concatOverride: KernelOverride = {
  kernelName: 'Concat',
  make: (state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<{ axis: number }>;
    const list = (Array.isArray(inputs) ? inputs : Object.values(inputs)) as TensorInfo[];
    const dtype: DataType | undefined = list[0]?.dtype;
    if (!dtype || !isNumeric(dtype) || list.some((t) => t.dtype !== dtype)) return fallback(args as never);
    const axis = util.parseAxisParam(attrs.axis, list[0].shape)[0];
    const outShape = backend_util.computeOutShape(list.map((t) => t.shape), axis);
    const parts = list.filter((t) => sizeOf(t.shape) > 0);
    const outer = sizeOf(outShape.slice(0, axis));
    const outRow = sizeOf(outShape.slice(axis));
    const first = parts[0] ?? list[0];
    const out = outputLike(backend, backend.data.get(first.dataId).values as TypedArray, sizeOf(outShape));
    let offset = 0;
    for (const t of parts) {
      const tv = backend.data.get(t.dataId).values as TypedArray;
      const width = sizeOf(t.shape.slice(axis));
      if (!simdRows(state.simd, tv, 0, width, out, offset, outRow, width, outer)) {
        for (let o = 0; o < outer; o++) copy(tv, o * width, out, o * outRow + offset, width);
      }
      offset += width;
    }
    return backend.makeTensorInfo(outShape, dtype, out);
  },
};

interface PadAttrs {
  paddings: [number, number][];
  constantValue: number;
}

/**
 * `PadV2` (the gradient of `slice`, e.g. of the position-embedding rows a GPT step reads): the
 * output filled with the constant once, then each input row (last axis) copied to its place.
 * The cpu kernel maps every element's coordinates one by one.
 */
export const padV2Override: KernelOverride = {
  kernelName: 'PadV2',
  make: (_state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<PadAttrs>;
    const { x } = inputs;
    const rank = x.shape.length;
    if (!isNumeric(x.dtype) || rank === 0 || attrs.paddings.length !== rank) return fallback(args as never);
    const outShape = x.shape.map((d, i) => attrs.paddings[i][0] + d + attrs.paddings[i][1]);
    const xv = backend.data.get(x.dataId).values as TypedArray;
    const C = xv.constructor as Ctor;
    const out = new C(sizeOf(outShape));
    if (attrs.constantValue !== 0) out.fill(attrs.constantValue);
    const n = x.shape[rank - 1];
    const rows = n > 0 ? xv.length / n : 0;
    if (rows > 0) {
      const outStrides = new Array<number>(rank);
      let s = 1;
      for (let d = rank - 1; d >= 0; d--) {
        outStrides[d] = s;
        s *= outShape[d];
      }
      // Offset of input element 0 in the output, and a row counter over the leading dims.
      let offset = 0;
      for (let d = 0; d < rank; d++) offset += attrs.paddings[d][0] * outStrides[d];
      const idx = new Array<number>(rank - 1).fill(0);
      for (let r = 0; r < rows; r++) {
        copy(xv, r * n, out, offset, n);
        for (let d = rank - 2; d >= 0; d--) {
          idx[d]++;
          offset += outStrides[d];
          if (idx[d] < x.shape[d]) break;
          offset -= outStrides[d] * x.shape[d];
          idx[d] = 0;
        }
      }
    }
    return backend.makeTensorInfo(outShape, x.dtype, out);
  },
};

/**
 * Copies the block of `x` (shape `shape`) starting at `begin` with extent `size` into `out`: the
 * trailing axes the block spans fully are merged into one contiguous row, the others stepped
 * through by an odometer.
 */
export function sliceInto(x: TypedArray, out: TypedArray, shape: readonly number[], begin: readonly number[], size: readonly number[]): void {
  const rank = shape.length;
  if (sizeOf(size) === 0) return;
  const strides = new Array<number>(rank);
  let st = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = st;
    st *= shape[d];
  }
  // The row: the innermost partial axis and every full axis after it.
  let k = rank - 1;
  while (k > 0 && size[k] === shape[k]) k--;
  const row = size[k] * strides[k];
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d] * strides[d];
  const idx = new Array<number>(k).fill(0);
  let total = 1;
  for (let d = 0; d < k; d++) total *= size[d];
  let o = 0;
  for (let t = 0; t < total; t++) {
    copy(x, base, out, o, row);
    o += row;
    for (let d = k - 1; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < size[d]) break;
      base -= strides[d] * size[d];
      idx[d] = 0;
    }
  }
}

/** A non-contiguous slice as row copies; contiguous ones stay the cpu kernel's views. */
function sliceKernel(backend: KernelArgs['backend'], x: TensorInfo, begin: number[], size: number[], outShape: number[]): TensorInfo | null {
  if (!isNumeric(x.dtype) || slice_util.isSliceContinous(x.shape, begin, size)) return null;
  const xv = backend.data.get(x.dataId).values as TypedArray;
  const out = outputLike(backend, xv, sizeOf(size));
  sliceInto(xv, out, x.shape, begin, size);
  return backend.makeTensorInfo(outShape, x.dtype, out);
}

export const sliceOverride: KernelOverride = {
  kernelName: 'Slice',
  make: (_state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<{ begin: number | number[]; size?: number | number[] }>;
    const { x } = inputs;
    const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size);
    slice_util.assertParamsValid(x, begin, size);
    return sliceKernel(backend, x, begin, size, size) ?? fallback(args as never);
  },
};

interface StridedSliceAttrs {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

export const stridedSliceOverride: KernelOverride = {
  kernelName: 'StridedSlice',
  make: (_state, fallback) => (args) => {
    const { inputs, backend, attrs: a } = args as unknown as KernelArgs<StridedSliceAttrs>;
    const { x } = inputs;
    const info = slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
    // Unit strides only (the common `x[:, a:b]`); identities and real strides go to the cpu kernel.
    if (info.isIdentity || !(info.isSimpleSlice || info.sliceDim0) || x.shape.length === 0) return fallback(args as never);
    const size = slice_util.computeOutShape(info.begin, info.end, info.strides);
    if (size.some((d) => d < 0)) return fallback(args as never);
    return sliceKernel(backend, x, info.begin, size, info.finalShape) ?? fallback(args as never);
  },
};
