/**
 * Float32 unary ops, reductions over contiguous axes (`Sum`, `Max`, `Min`, `Mean`: the bias gradient
 * `sum(dy, 0)` no longer transposes first) and last-axis `Softmax` in one pass per row.
 */
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { fastExp } from './fast-math';
import { type KernelArgs, type KernelOverride, sizeOf, values } from './types';
import { takeOutput } from './buffer-pool';
import { withSimd, type SimdKernels } from '../wasm/simd';

/**
 * Element expressions over `x`, matching the cpu backend's float32 kernels (`fexp` is
 * {@link fastExp}: within one float32 ulp of `Math.exp`; `ferf` is {@link erf}).
 */
export const UNARY_EXPRESSIONS = {
  Exp: 'fexp(x)',
  Log: 'Math.log(x)',
  Sqrt: 'Math.sqrt(x)',
  Rsqrt: '1 / Math.sqrt(x)',
  Tanh: 'Math.tanh(x)',
  Sigmoid: '1 / (1 + fexp(-x))',
  Relu: 'Math.max(0, x)',
  Neg: '-x',
  Square: 'x * x',
  Abs: 'Math.abs(x)',
  Erf: 'ferf(x)',
} as const;

export type UnaryName = keyof typeof UNARY_EXPRESSIONS;

/** The SIMD kernels' op code of each unary op (`unary` in assembly/kernels.ts). */
export const UNARY_SIMD_OPS: Record<UnaryName, number> = {
  Exp: 0, Log: 1, Sqrt: 2, Rsqrt: 3, Tanh: 4, Sigmoid: 5, Relu: 6, Neg: 7, Square: 8, Abs: 9, Erf: 11,
};
/** Op code of x^n for an integer n (the exponent is passed separately). */
export const POWI_SIMD_OP = 10;

/** Below this many elements a JS loop is cheaper than copying into the SIMD kernels' memory. */
const UNARY_SIMD_MIN = 64;

/**
 * Runs SIMD unary op `code` over `xv` into `out` (every element written); false when there are
 * no SIMD kernels, the array is small, or it does not fit their memory (the caller's JS loop runs).
 */
export function simdUnary(simd: SimdKernels | null, code: number, xv: Float32Array, out: Float32Array, n = 0): boolean {
  if (!simd || xv.length < UNARY_SIMD_MIN) return false;
  return withSimd(simd, (kernels) => {
    const w = kernels.begin();
    const xp = w.input(xv);
    const op = w.output(out);
    w.k.unary(code, xp, op, xv.length, n);
    w.collect(out, op);
    return true;
  }, () => false);
}

/** erf(x) by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), the formula of tfjs's cpu kernel. */
export function erf(x: number): number {
  const v = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * v);
  return Math.sign(x) * (1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * fastExp(-v * v));
}

type UnaryLoop = (xv: Float32Array, ov: Float32Array, fexp: (x: number) => number, ferf: (x: number) => number) => void;

function makeUnary(expr: string): UnaryLoop {
  // Fixed loop with one trusted expression from UNARY_EXPRESSIONS spliced in.
  return new Function('xv', 'ov', 'fexp', 'ferf', `for (let i = 0, n = xv.length; i < n; i++) { const x = xv[i]; ov[i] = ${expr}; }`) as UnaryLoop;
}

export const unaryOverrides: KernelOverride[] = (Object.keys(UNARY_EXPRESSIONS) as UnaryName[]).map(
  (name) => {
    const loop = makeUnary(UNARY_EXPRESSIONS[name]);
    return {
      kernelName: name,
      make: (state, fallback) => (args) => {
        const { inputs, backend } = args as unknown as KernelArgs;
        const { x } = inputs;
        if (x.dtype !== 'float32') return fallback(args as never);
        const xv = values(backend, x);
        // Both paths write every element.
        const out = takeOutput(backend, xv.length);
        if (!simdUnary(state.simd, UNARY_SIMD_OPS[name], xv, out)) loop(xv, out, fastExp, erf);
        return backend.makeTensorInfo(x.shape, 'float32', out);
      },
    };
  },
);

type ReduceKind = 'Sum' | 'Max' | 'Min' | 'Mean' | 'Prod';

/**
 * out[o, i] = max (or min) over j of x[o, j, i]; NaN wins, as in the cpu kernels. An empty
 * reduction gives ∓Infinity (tfjs's cpu kernel reads past the row there).
 */
function extremum(min: boolean, xv: Float32Array, out: Float32Array, outer: number, r: number, inner: number): void {
  if (r === 0) {
    out.fill(min ? Infinity : -Infinity);
    return;
  }
  const s = min ? -1 : 1;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * r;
      let m = xv[base];
      for (let j = 1; j < r; j++) {
        const v = xv[base + j];
        if (s * v > s * m || v !== v) m = v;
      }
      out[o] = m;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    out.set(xv.subarray(o * r * inner, o * r * inner + inner), ob);
    for (let j = 1; j < r; j++) {
      const base = (o * r + j) * inner;
      for (let i = 0; i < inner; i++) {
        const v = xv[base + i];
        if (s * v > s * out[ob + i] || v !== v) out[ob + i] = v;
      }
    }
  }
}

/**
 * out[o, i] = Σ_j x[o, j, i] for x of shape (outer, r, inner), accumulated in float64: on the SIMD
 * kernels when given (and the call fits in their memory), else in JS.
 */
function sumContiguous(xv: Float32Array, out: Float32Array, outer: number, r: number, inner: number, simd: SimdKernels | null): void {
  const js = () => {
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        const base = o * r;
        let s = 0;
        for (let j = 0; j < r; j++) s += xv[base + j];
        out[o] = s;
      }
      return;
    }
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(0);
      for (let j = 0; j < r; j++) {
        const base = (o * r + j) * inner;
        for (let i = 0; i < inner; i++) acc[i] += xv[base + i];
      }
      out.set(acc, o * inner);
    }
  };
  withSimd(out.length > 0 && r > 0 ? simd : null, (kernels) => {
    const a = kernels.begin();
    const xp = a.input(xv);
    const op = a.output(out);
    if (inner === 1) a.k.rowSums(xp, op, outer, r);
    else a.k.columnSums(xp, op, a.alloc(inner, 8), outer, r, inner);
    a.collect(out, op);
  }, js);
}

/**
 * Reduces float32 `x` over a contiguous block of axes; null when the axes are not contiguous.
 * Sums and means run on the SIMD kernels when `simd` is given (float64 accumulation either way).
 */
export function reduceContiguous(
  kind: ReduceKind, backend: MathBackendCPU, x: TensorInfo, axis: number | number[] | null | undefined, keepDims: boolean,
  simd: SimdKernels | null = null,
): TensorInfo | null {
  if (kind === 'Prod') return null;
  // null/undefined: every axis (as tfjs's ops pass it).
  const axes = util.parseAxisParam(axis ?? (null as unknown as number[]), x.shape).sort((p, q) => p - q);
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return null;
  const rank = x.shape.length;
  const first = axes.length > 0 ? axes[0] : rank;
  const last = axes.length > 0 ? axes[axes.length - 1] : rank - 1;
  const outer = sizeOf(x.shape.slice(0, first));
  const r = sizeOf(x.shape.slice(first, last + 1));
  const inner = sizeOf(x.shape.slice(last + 1));
  const outShape = keepDims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  const xv = values(backend, x);
  // Every path writes every element (an empty reduction fills).
  const out = takeOutput(backend, outer * inner);
  if (kind === 'Max' || kind === 'Min') {
    extremum(kind === 'Min', xv, out, outer, r, inner);
  } else {
    sumContiguous(xv, out, outer, r, inner, simd);
    // An empty mean is 0, as in the cpu kernel (which sums x / r).
    if (kind === 'Mean' && r > 0) for (let i = 0; i < out.length; i++) out[i] /= r;
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/**
 * Reduces float32 `x` over any set of axes in one pass over x in memory order, without the cpu
 * kernel's transpose: dims of size 1 dropped, neighbours that are both reduced or both kept
 * merged; an odometer over the outer dims walks x, and each step's innermost run either adds into
 * a run of outputs (a kept innermost dim) or into one output (a reduced one). Accumulates in
 * float64, as the cpu kernels do. Also serves `Prod` on any axes.
 */
export function reduceAnyAxes(
  kind: ReduceKind, backend: MathBackendCPU, x: TensorInfo, axis: number | number[] | null | undefined, keepDims: boolean,
): TensorInfo {
  const axes = util.parseAxisParam(axis ?? (null as unknown as number[]), x.shape);
  const reduced = x.shape.map((_, d) => axes.includes(d));
  const outShape = keepDims ? x.shape.map((d, i) => (reduced[i] ? 1 : d)) : x.shape.filter((_, i) => !reduced[i]);
  const outSize = sizeOf(outShape);
  const r = sizeOf(x.shape.filter((_, i) => reduced[i]));
  // Merged dims in x's order: size, whether reduced, x stride and output stride (0 when reduced).
  const dims: { size: number; reduced: boolean }[] = [];
  x.shape.forEach((size, d) => {
    if (size === 1) return;
    const last = dims[dims.length - 1];
    if (last && last.reduced === reduced[d]) last.size *= size;
    else dims.push({ size, reduced: reduced[d] });
  });
  const xv = values(backend, x);
  const out = takeOutput(backend, outSize);
  const init = kind === 'Max' ? -Infinity : kind === 'Min' ? Infinity : kind === 'Prod' ? 1 : 0;
  const acc = new Float64Array(outSize).fill(init);
  if (xv.length > 0) {
    const oStride = new Array<number>(dims.length).fill(0);
    for (let d = dims.length - 1, s = 1; d >= 0; d--) {
      if (!dims[d].reduced) {
        oStride[d] = s;
        s *= dims[d].size;
      }
    }
    const inner = dims.pop() ?? { size: 1, reduced: false };
    oStride.pop();
    const n = inner.size;
    const rank = dims.length;
    const idx = new Int32Array(rank);
    let total = 1;
    for (const d of dims) total *= d.size;
    let o = 0;
    let p = 0;
    const kindCode = kind === 'Max' ? 1 : kind === 'Min' ? 2 : kind === 'Prod' ? 3 : 0;
    for (let t = 0; t < total; t++) {
      if (!inner.reduced) {
        // A kept innermost dim: n outputs, each from one element of this run.
        if (kindCode === 0) for (let i = 0; i < n; i++) acc[o + i] += xv[p + i];
        else if (kindCode === 3) for (let i = 0; i < n; i++) acc[o + i] *= xv[p + i];
        else if (kindCode === 1) for (let i = 0; i < n; i++) { const v = xv[p + i]; if (v > acc[o + i] || v !== v) acc[o + i] = v; }
        else for (let i = 0; i < n; i++) { const v = xv[p + i]; if (v < acc[o + i] || v !== v) acc[o + i] = v; }
      } else {
        let a = acc[o];
        if (kindCode === 0) for (let i = 0; i < n; i++) a += xv[p + i];
        else if (kindCode === 3) for (let i = 0; i < n; i++) a *= xv[p + i];
        else if (kindCode === 1) for (let i = 0; i < n; i++) { const v = xv[p + i]; if (v > a || v !== v) a = v; }
        else for (let i = 0; i < n; i++) { const v = xv[p + i]; if (v < a || v !== v) a = v; }
        acc[o] = a;
      }
      p += n;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]++;
        o += oStride[d];
        if (idx[d] < dims[d].size) break;
        o -= oStride[d] * dims[d].size;
        idx[d] = 0;
      }
    }
  }
  // An empty mean is 0, as in the cpu kernel (which sums x / r).
  if (kind === 'Mean' && r > 0) for (let i = 0; i < outSize; i++) out[i] = acc[i] / r;
  else out.set(acc);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

interface ReduceAttrs {
  axis?: number | number[] | null;
  reductionIndices?: number | number[] | null;
  keepDims: boolean;
}

export const reduceOverrides: KernelOverride[] = (['Sum', 'Max', 'Min', 'Mean', 'Prod'] as const).map((kind) => ({
  kernelName: kind,
  make: (state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<ReduceAttrs>;
    const { x } = inputs;
    if (x.dtype !== 'float32') return fallback(args as never);
    // Max names its axes reductionIndices; Sum, Mean and Min name them axis.
    const axis = kind === 'Max' ? attrs.reductionIndices : attrs.axis;
    // Contiguous axes: the (SIMD) fast path; any others in one strided pass. Prod always strided.
    return (kind === 'Prod' ? null : reduceContiguous(kind, backend, x, axis, attrs.keepDims, state.simd))
      ?? reduceAnyAxes(kind, backend, x, axis, attrs.keepDims);
  },
}));

/** Numerically stable softmax over the last axis: one max, one exp-and-sum, one scale per row. */
export const softmaxOverride: KernelOverride = {
  kernelName: 'Softmax',
  make: (state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<{ dim: number }>;
    const { logits } = inputs;
    const rank = logits.shape.length;
    const dim = attrs.dim === -1 ? rank - 1 : attrs.dim;
    if (logits.dtype !== 'float32' || dim !== rank - 1 || rank === 0) return fallback(args as never);
    const n = logits.shape[rank - 1];
    const xv = values(backend, logits);
    // Both paths write every element (n = 0: there are none).
    const out = takeOutput(backend, xv.length);
    const simd = n > 0 && xv.length >= UNARY_SIMD_MIN ? state.simd : null;
    withSimd(simd, (kernels) => {
      const w = kernels.begin();
      const xp = w.input(xv);
      const op = w.output(out);
      w.k.softmaxRows(xp, 0, 0, op, xv.length / n, n, 1);
      w.collect(out, op);
    }, () => softmaxJs(xv, out, n));
    return backend.makeTensorInfo(logits.shape, 'float32', out);
  },
};

/** Softmax of each row of n in JS: max, exp-and-sum, scale. */
function softmaxJs(xv: Float32Array, out: Float32Array, n: number): void {
  if (n === 0) return;
  for (let base = 0; base < xv.length; base += n) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = xv[base + j];
      if (v > m || v !== v) m = v;
    }
    let s = 0;
    for (let j = 0; j < n; j++) {
      const e = fastExp(xv[base + j] - m);
      out[base + j] = e;
      s += e;
    }
    for (let j = 0; j < n; j++) out[base + j] /= s;
  }
}
