/**
 * Broadcasting float32 binary ops. Shapes are collapsed to the fewest dimensions with the same
 * broadcast pattern, so same-shape, scalar, trailing-axis (`[B,T,C] + [C]`) and keep-dims
 * (`[B,T,C] - [B,T,1]`) broadcasts all run as one tight inner loop per row. Each op's loop is
 * generated once with its expression inlined (a shared loop calling a callback per element is
 * several times slower in V8).
 */
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { type KernelArgs, type KernelOverride, sizeOf, values } from './types';
import { takeOutput } from './buffer-pool';
import { withSimd, type SimdKernels } from '../wasm/simd';
import { POWI_SIMD_OP, simdUnary } from './elementwise';

/**
 * The SIMD kernels' op code of each op (`assembly/kernels.ts`). Pow has none: a scalar integer
 * exponent runs as repeated multiplication ({@link powInt}), any other as a JS `Math.pow` loop.
 */
const BINARY_SIMD_OPS: Partial<Record<BinaryName, number>> = {
  Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6,
};

/** Below this many output elements the JS loop is cheaper than copying into the SIMD kernels' memory. */
const SIMD_MIN_ELEMENTS = 256;

/** Element expressions over `a` and `b`, matching the cpu backend's float32 semantics. */
export const BINARY_EXPRESSIONS = {
  Add: 'a + b',
  Sub: 'a - b',
  Multiply: 'a * b',
  RealDiv: 'a / b',
  Maximum: 'Math.max(a, b)',
  Minimum: 'Math.min(a, b)',
  SquaredDifference: '(a - b) * (a - b)',
  Pow: 'Math.pow(a, b)',
} as const;

export type BinaryName = keyof typeof BINARY_EXPRESSIONS;

type Loop = (
  av: Float32Array, bv: Float32Array, ov: Float32Array,
  outer: Int32Array, aStr: Int32Array, bStr: Int32Array, n: number, aInc: number, bInc: number,
) => void;

function makeLoop(expr: string): Loop {
  // The body is fixed code with one trusted expression from BINARY_EXPRESSIONS spliced in.
  const body = `
    const rank = outer.length;
    let total = 1;
    for (let d = 0; d < rank; d++) total *= outer[d];
    const idx = new Int32Array(rank);
    let aOff = 0, bOff = 0, o = 0;
    for (let t = 0; t < total; t++) {
      if (aInc === 1 && bInc === 1) {
        for (let i = 0; i < n; i++) { const a = av[aOff + i], b = bv[bOff + i]; ov[o + i] = ${expr}; }
      } else if (aInc === 1) {
        const b = bv[bOff];
        for (let i = 0; i < n; i++) { const a = av[aOff + i]; ov[o + i] = ${expr}; }
      } else {
        const a = av[aOff];
        for (let i = 0; i < n; i++) { const b = bv[bOff + i]; ov[o + i] = ${expr}; }
      }
      o += n;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]++; aOff += aStr[d]; bOff += bStr[d];
        if (idx[d] < outer[d]) break;
        aOff -= aStr[d] * outer[d]; bOff -= bStr[d] * outer[d]; idx[d] = 0;
      }
    }`;
  return new Function('av', 'bv', 'ov', 'outer', 'aStr', 'bStr', 'n', 'aInc', 'bInc', body) as Loop;
}

const loops = new Map<string, Loop>();
function loopFor(name: BinaryName): Loop {
  let loop = loops.get(name);
  if (!loop) {
    loop = makeLoop(BINARY_EXPRESSIONS[name]);
    loops.set(name, loop);
  }
  return loop;
}

/**
 * The broadcast plan: outer dims with per-operand strides, and the inner contiguous run.
 * Exported for tests.
 */
export interface BroadcastPlan {
  outShape: number[];
  outer: Int32Array;
  aStr: Int32Array;
  bStr: Int32Array;
  n: number;
  aInc: number;
  bInc: number;
}

const NO_DIMS = new Int32Array(0);

/** One contiguous run of n (both full, or one operand a single value): no broadcast bookkeeping. */
function flatPlan(outShape: number[], n: number, aInc: number, bInc: number): BroadcastPlan {
  return { outShape, outer: NO_DIMS, aStr: NO_DIMS, bStr: NO_DIMS, n, aInc, bInc };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function planBroadcast(aShape: readonly number[], bShape: readonly number[]): BroadcastPlan {
  // The common cases without the general merge below (a small op's time is mostly this planning).
  if (sameShape(aShape, bShape)) return flatPlan([...aShape], sizeOf(aShape), 1, 1);
  if (bShape.length === 0) return flatPlan([...aShape], sizeOf(aShape), 1, 0);
  if (aShape.length === 0) return flatPlan([...bShape], sizeOf(bShape), 0, 1);
  const outShape = backend_util.assertAndGetBroadcastShape(aShape as number[], bShape as number[]);
  const rank = outShape.length;
  const pa = [...new Array<number>(rank - aShape.length).fill(1), ...aShape];
  const pb = [...new Array<number>(rank - bShape.length).fill(1), ...bShape];
  // Contiguous strides of each operand in its own (padded) layout.
  const sa = new Array<number>(rank);
  const sb = new Array<number>(rank);
  let ca = 1;
  let cb = 1;
  for (let d = rank - 1; d >= 0; d--) {
    sa[d] = ca; ca *= pa[d];
    sb[d] = cb; cb *= pb[d];
  }
  // Drop size-1 output dims; merge neighbours with the same (a full?, b full?) pattern.
  const dims: { size: number; aFull: boolean; bFull: boolean; sa: number; sb: number }[] = [];
  for (let d = 0; d < rank; d++) {
    if (outShape[d] === 1) continue;
    const aFull = pa[d] !== 1;
    const bFull = pb[d] !== 1;
    const last = dims[dims.length - 1];
    if (last && last.aFull === aFull && last.bFull === bFull) {
      last.size *= outShape[d];
      last.sa = sa[d];
      last.sb = sb[d];
    } else {
      dims.push({ size: outShape[d], aFull, bFull, sa: sa[d], sb: sb[d] });
    }
  }
  const inner = dims.pop() ?? { size: 1, aFull: true, bFull: true, sa: 1, sb: 1 };
  return {
    outShape,
    outer: Int32Array.from(dims.map((d) => d.size)),
    aStr: Int32Array.from(dims.map((d) => (d.aFull ? d.sa : 0))),
    bStr: Int32Array.from(dims.map((d) => (d.bFull ? d.sb : 0))),
    n: inner.size,
    aInc: inner.aFull ? 1 : 0,
    bInc: inner.bFull ? 1 : 0,
  };
}

/**
 * Runs a float32 binary op with broadcasting; the caller checked both dtypes are float32. With
 * `simd`, plans of at most one outer dim (same shape, trailing-axis, keep-dims and scalar
 * broadcasts) of at least SIMD_MIN_ELEMENTS run on the WebAssembly kernels.
 */
export function binaryOp(name: BinaryName, backend: MathBackendCPU, a: TensorInfo, b: TensorInfo, simd: SimdKernels | null = null): TensorInfo {
  const plan = planBroadcast(a.shape, b.shape);
  if (name === 'Pow' && sizeOf(b.shape) === 1) {
    const e = values(backend, b)[0];
    if (Number.isInteger(e) && Math.abs(e) <= MAX_INT_EXPONENT) {
      // b has one element, so the output has a's elements in a's order; both paths write them all.
      const out = takeOutput(backend, sizeOf(plan.outShape));
      const av = values(backend, a);
      if (!simdUnary(simd, POWI_SIMD_OP, av, out, e)) powInt(av, out, e);
      return backend.makeTensorInfo(plan.outShape, 'float32', out);
    }
  }
  // Both loops write every output element.
  const out = takeOutput(backend, sizeOf(plan.outShape));
  const code = BINARY_SIMD_OPS[name];
  const js = () => {
    if (out.length > 0) loopFor(name)(values(backend, a), values(backend, b), out, plan.outer, plan.aStr, plan.bStr, plan.n, plan.aInc, plan.bInc);
  };
  if (code !== undefined && plan.outer.length <= 1 && out.length >= SIMD_MIN_ELEMENTS) {
    withSimd(simd, (kernels) => {
      const w = kernels.begin();
      // Operands and output resident in the kernels' memory are used where they are.
      const ap = w.input(values(backend, a));
      const bp = w.input(values(backend, b));
      const op = w.output(out);
      const rows = plan.outer.length ? plan.outer[0] : 1;
      w.k.binary(code, ap, bp, op, rows, plan.n, plan.outer.length ? plan.aStr[0] : 0, plan.outer.length ? plan.bStr[0] : 0, plan.aInc, plan.bInc);
      w.collect(out, op);
    }, js);
  } else {
    js();
  }
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
}

/** Largest |n| for which x^n runs as repeated multiplication (at most 2·log2(n) products). */
const MAX_INT_EXPONENT = 64;

/**
 * out = x^n for an integer n by repeated squaring in float64 (n < 0: 1 / x^|n|; x^0 = 1 as
 * Math.pow, also for NaN): a few multiplications instead of a `Math.pow` call per element.
 */
export function powInt(xv: Float32Array, out: Float32Array, n: number): void {
  const len = xv.length;
  if (n === 2) {
    for (let i = 0; i < len; i++) { const x = xv[i]; out[i] = x * x; }
  } else if (n === 3) {
    for (let i = 0; i < len; i++) { const x = xv[i]; out[i] = x * x * x; }
  } else {
    const e = Math.abs(n);
    for (let i = 0; i < len; i++) {
      let r = 1;
      let b = xv[i];
      for (let k = e; k > 0; k >>= 1) {
        if (k & 1) r *= b;
        b *= b;
      }
      out[i] = n < 0 ? 1 / r : r;
    }
  }
}

export const binaryOverrides: KernelOverride[] = (Object.keys(BINARY_EXPRESSIONS) as BinaryName[]).map((name) => ({
  kernelName: name,
  make: (state, fallback) => (args) => {
    const { inputs, backend } = args as unknown as KernelArgs;
    const { a, b } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args as never);
    return binaryOp(name, backend, a, b, state.simd);
  },
}));
