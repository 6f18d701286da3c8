/**
 * The fused kernels of `./fused.ts` on the WebAssembly SIMD kernels (`../wasm/simd.ts`): same
 * inputs, attributes and outputs as their JS forms, which stay as the fallback. Each copies its
 * inputs into the module's memory, runs one exported function and copies its outputs out.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { SimdKernels } from '../wasm/simd';
import { values, type AdamWAttrs } from './types';
import { takeOutput } from './buffer-pool';

/** A copy of `n` float32 at byte address `p` of the kernels' memory, in an output array of `backend`. */
function result(backend: MathBackendCPU, w: SimdKernels, p: number, n: number): Float32Array {
  const out = takeOutput(backend, n);
  out.set(w.at(p, n));
  return out;
}

type Args<A = Record<string, number>> = { inputs: Record<string, TensorInfo>; backend: MathBackendCPU; attrs: A };

export function simdGeluTanh(w: SimdKernels, { inputs, backend, attrs }: Args<{ withSigmoid?: number }>): TensorInfo | TensorInfo[] {
  const xv = values(backend, inputs.x);
  const n = xv.length;
  const a = w.begin();
  const x = a.put(xv);
  const out = a.alloc(n);
  const sig = attrs?.withSigmoid ? a.alloc(n) : 0;
  a.k.gelu(x, out, sig, n);
  const y = backend.makeTensorInfo(inputs.x.shape, 'float32', result(backend, a, out, n));
  return sig ? [y, backend.makeTensorInfo(inputs.x.shape, 'float32', result(backend, a, sig, n))] : y;
}

export function simdGeluTanhGrad(w: SimdKernels, { inputs, backend }: Args): TensorInfo {
  const n = values(backend, inputs.x).length;
  const a = w.begin();
  const x = a.put(values(backend, inputs.x));
  const dy = a.put(values(backend, inputs.dy));
  const sig = inputs.s ? a.put(values(backend, inputs.s)) : 0;
  const out = a.alloc(n);
  a.k.geluGrad(x, dy, sig, out, n);
  return backend.makeTensorInfo(inputs.x.shape, 'float32', result(backend, a, out, n));
}

export function simdLayerNorm(w: SimdKernels, { inputs, backend, attrs }: Args<{ epsilon: number; withStats?: number }>): TensorInfo | TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const d = x.shape[x.shape.length - 1];
  const xv = values(backend, x);
  const rows = d > 0 ? xv.length / d : 0;
  const a = w.begin();
  const xp = a.put(xv);
  const gp = a.put(values(backend, gamma));
  const bp = a.put(values(backend, beta));
  const out = a.alloc(xv.length);
  const stats = attrs.withStats ? a.alloc(4 * rows) : 0;
  a.k.layerNorm(xp, gp, bp, out, stats, rows, d, attrs.epsilon);
  const y = backend.makeTensorInfo(x.shape, 'float32', result(backend, a, out, xv.length));
  return stats ? [y, backend.makeTensorInfo([rows, 4], 'float32', result(backend, a, stats, 4 * rows))] : y;
}

export function simdLayerNormGrad(w: SimdKernels, { inputs, backend, attrs }: Args<{ epsilon: number }>): TensorInfo[] {
  const { dy, x, gamma, stats } = inputs;
  const d = x.shape[x.shape.length - 1];
  const xv = values(backend, x);
  const rows = d > 0 ? xv.length / d : 0;
  const a = w.begin();
  const dyp = a.put(values(backend, dy));
  const xp = a.put(xv);
  const gp = a.put(values(backend, gamma));
  const sp = stats ? a.put(values(backend, stats)) : 0;
  const dx = a.alloc(xv.length);
  const dg = a.alloc(d);
  const db = a.alloc(d);
  const xhat = a.alloc(d);
  a.k.layerNormGrad(dyp, xp, gp, sp, dx, dg, db, xhat, rows, d, attrs.epsilon);
  return [
    backend.makeTensorInfo(x.shape, 'float32', result(backend, a, dx, xv.length)),
    backend.makeTensorInfo(gamma.shape, 'float32', result(backend, a, dg, d)),
    backend.makeTensorInfo(gamma.shape, 'float32', result(backend, a, db, d)),
  ];
}


export function simdAdamWUpdate(w: SimdKernels, { inputs, backend, attrs }: Args<AdamWAttrs>): TensorInfo[] {
  const { param, m, v, grad } = inputs;
  const n = values(backend, param).length;
  const a = w.begin();
  const pp = a.put(values(backend, param));
  const mp = a.put(values(backend, m));
  const vp = a.put(values(backend, v));
  const gp = a.put(values(backend, grad));
  const p1 = a.alloc(n);
  const m1 = a.alloc(n);
  const v1 = a.alloc(n);
  const { lr, beta1, beta2, epsilon, c1, c2, decay, scale } = attrs;
  a.k.adamw(pp, mp, vp, gp, p1, m1, v1, n, lr / c1, beta1, beta2, epsilon, c2, decay, scale);
  return [
    backend.makeTensorInfo(param.shape, 'float32', result(backend, a, p1, n)),
    backend.makeTensorInfo(param.shape, 'float32', result(backend, a, m1, n)),
    backend.makeTensorInfo(param.shape, 'float32', result(backend, a, v1, n)),
  ];
}

/**
 * Byte offset of the bias row for each block of rows of `scores` (all dims but the last two) and
 * the bias stride from one row to the next within a block (k, or 0 when the bias broadcasts over
 * rows), for a bias broadcastable to the scores' shape.
 */
export function biasLayout(scoresShape: readonly number[], biasShape: readonly number[]): { blockOffsets: Int32Array; rowStride: number; rowsPerBlock: number } {
  const rank = scoresShape.length;
  const k = scoresShape[rank - 1];
  const rowsPerBlock = rank >= 2 ? scoresShape[rank - 2] : 1;
  const lead = rank - biasShape.length;
  const dimOf = (d: number) => (d >= lead ? biasShape[d - lead] : 1);
  // Element strides of the bias, per scores dim (0 where it broadcasts).
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    const bd = dimOf(d);
    strides[d] = bd === 1 ? 0 : s;
    s *= bd;
  }
  const blocks = scoresShape.slice(0, Math.max(0, rank - 2)).reduce((p, q) => p * q, 1);
  const blockOffsets = new Int32Array(blocks);
  const outer = scoresShape.slice(0, Math.max(0, rank - 2));
  for (let b = 0; b < blocks; b++) {
    let rem = b;
    let off = 0;
    for (let d = outer.length - 1; d >= 0; d--) {
      const c = rem % outer[d];
      rem = (rem - c) / outer[d];
      off += c * strides[d];
    }
    blockOffsets[b] = off;
  }
  return { blockOffsets, rowStride: rank >= 2 ? strides[rank - 2] : 0, rowsPerBlock: k > 0 ? rowsPerBlock : 0 };
}

export function simdScaledMaskedSoftmax(w: SimdKernels, { inputs, backend, attrs }: Args<{ scale: number }>): TensorInfo {
  const { scores, bias } = inputs;
  const shape = scores.shape;
  const k = shape[shape.length - 1];
  const sv = values(backend, scores);
  if (k === 0 || sv.length === 0) return backend.makeTensorInfo(shape, 'float32', new Float32Array(sv.length));
  const { blockOffsets, rowStride, rowsPerBlock } = biasLayout(shape, bias.shape);
  const a = w.begin();
  const x = a.put(sv);
  const b = a.put(values(backend, bias));
  const blockBytes = rowsPerBlock * k * 4;
  for (let i = 0; i < blockOffsets.length; i++) {
    a.k.softmaxRows(x + i * blockBytes, b + blockOffsets[i] * 4, rowStride, x + i * blockBytes, rowsPerBlock, k, attrs.scale);
  }
  return backend.makeTensorInfo(shape, 'float32', result(backend, a, x, sv.length));
}

export function simdScaledMaskedSoftmaxGrad(w: SimdKernels, { inputs, backend, attrs }: Args<{ scale: number }>): TensorInfo {
  const { dy, probs } = inputs;
  const k = probs.shape[probs.shape.length - 1];
  const pv = values(backend, probs);
  if (k === 0 || pv.length === 0) return backend.makeTensorInfo(probs.shape, 'float32', new Float32Array(pv.length));
  const a = w.begin();
  const g = a.put(values(backend, dy));
  const p = a.put(pv);
  a.k.softmaxGradRows(g, p, g, pv.length / k, k, attrs.scale);
  return backend.makeTensorInfo(probs.shape, 'float32', result(backend, a, g, pv.length));
}

export function simdLogSumExpRows(w: SimdKernels, { inputs, backend }: Args): TensorInfo {
  const { x } = inputs;
  const [rows, n] = x.shape;
  const a = w.begin();
  const xp = a.put(values(backend, x));
  const out = a.alloc(rows);
  a.k.logSumExpRows(xp, out, rows, n);
  return backend.makeTensorInfo([rows], 'float32', result(backend, a, out, rows));
}

export function simdLogSumExpRowsGrad(w: SimdKernels, { inputs, backend }: Args): TensorInfo {
  const { dy, x, lse } = inputs;
  const [rows, n] = x.shape;
  const a = w.begin();
  const g = a.put(values(backend, dy));
  const xp = a.put(values(backend, x));
  const l = a.put(values(backend, lse));
  a.k.logSumExpRowsGrad(g, xp, l, xp, rows, n);
  return backend.makeTensorInfo(x.shape, 'float32', result(backend, a, xp, rows * n));
}

export function simdSumOfSquares(w: SimdKernels, { inputs, backend }: Args): TensorInfo {
  let total = 0;
  for (const t of Object.values(inputs)) {
    const xv = values(backend, t);
    const a = w.begin();
    total += a.k.sumOfSquares(a.put(xv), xv.length);
  }
  return backend.makeTensorInfo([], 'float32', Float32Array.of(total));
}
