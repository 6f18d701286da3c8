/**
 * The fused kernels of `./fused.ts` on the WebAssembly SIMD kernels (`../wasm/simd.ts`): same
 * inputs, attributes and outputs as their JS forms, which stay as the fallback. Each reads its
 * inputs where they are when they are resident in the module's memory (else copies them in), runs
 * one exported function and writes its outputs into resident output arrays (else copies them out).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { SimdKernels } from '../wasm/simd';
import { values, type AdamWAttrs } from './types';
import { giveBack, takeOutput } from './buffer-pool';

/**
 * Output arrays of `backend` of the given lengths and the byte addresses the kernel writes them
 * at: the arrays themselves when they are resident in the kernels' memory (`wasm/arena.ts`),
 * else scratch blocks that `collect` copies out. Called after every other allocation of the call;
 * should one of these fail, the arrays go back to the pool before the error propagates.
 */
function outputs(backend: MathBackendCPU, w: SimdKernels, ...lengths: number[]): { arrays: Float32Array[]; ptrs: number[] } {
  const arrays = lengths.map((n) => takeOutput(backend, n));
  try {
    return { arrays, ptrs: arrays.map((o) => w.output(o)) };
  } catch (e) {
    for (const o of arrays) giveBack(backend, o);
    throw e;
  }
}

function collect(w: SimdKernels, o: { arrays: Float32Array[]; ptrs: number[] }): Float32Array[] {
  o.arrays.forEach((array, i) => w.collect(array, o.ptrs[i]));
  return o.arrays;
}

type Args<A = Record<string, number>> = { inputs: Record<string, TensorInfo>; backend: MathBackendCPU; attrs: A };

export function simdGeluTanh(w: SimdKernels, { inputs, backend, attrs }: Args<{ withSigmoid?: number }>): TensorInfo | TensorInfo[] {
  const xv = values(backend, inputs.x);
  const n = xv.length;
  const a = w.begin();
  const x = a.input(xv);
  const o = outputs(backend, a, ...(attrs?.withSigmoid ? [n, n] : [n]));
  a.k.gelu(x, o.ptrs[0], o.ptrs[1] ?? 0, n);
  const [y, sig] = collect(a, o).map((v) => backend.makeTensorInfo(inputs.x.shape, 'float32', v));
  return sig ? [y, sig] : y;
}

export function simdGeluTanhGrad(w: SimdKernels, { inputs, backend }: Args): TensorInfo {
  const n = values(backend, inputs.x).length;
  const a = w.begin();
  const x = a.input(values(backend, inputs.x));
  const dy = a.input(values(backend, inputs.dy));
  const sig = inputs.s ? a.input(values(backend, inputs.s)) : 0;
  const o = outputs(backend, a, n);
  a.k.geluGrad(x, dy, sig, o.ptrs[0], n);
  return backend.makeTensorInfo(inputs.x.shape, 'float32', collect(a, o)[0]);
}

export function simdLayerNorm(w: SimdKernels, { inputs, backend, attrs }: Args<{ epsilon: number; withStats?: number }>): TensorInfo | TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const d = x.shape[x.shape.length - 1];
  const xv = values(backend, x);
  const rows = d > 0 ? xv.length / d : 0;
  const a = w.begin();
  const xp = a.input(xv);
  const gp = a.input(values(backend, gamma));
  const bp = a.input(values(backend, beta));
  const o = outputs(backend, a, ...(attrs.withStats ? [xv.length, 4 * rows] : [xv.length]));
  a.k.layerNorm(xp, gp, bp, o.ptrs[0], o.ptrs[1] ?? 0, rows, d, attrs.epsilon);
  const [yv, sv] = collect(a, o);
  const y = backend.makeTensorInfo(x.shape, 'float32', yv);
  return sv ? [y, backend.makeTensorInfo([rows, 4], 'float32', sv)] : y;
}

export function simdLayerNormGrad(w: SimdKernels, { inputs, backend, attrs }: Args<{ epsilon: number }>): TensorInfo[] {
  const { dy, x, gamma, stats } = inputs;
  const d = x.shape[x.shape.length - 1];
  const xv = values(backend, x);
  const rows = d > 0 ? xv.length / d : 0;
  const a = w.begin();
  const dyp = a.input(values(backend, dy));
  const xp = a.input(xv);
  const gp = a.input(values(backend, gamma));
  const sp = stats ? a.input(values(backend, stats)) : 0;
  const xhat = a.alloc(d);
  const o = outputs(backend, a, xv.length, d, d);
  a.k.layerNormGrad(dyp, xp, gp, sp, o.ptrs[0], o.ptrs[1], o.ptrs[2], xhat, rows, d, attrs.epsilon);
  const [dx, dg, db] = collect(a, o);
  return [
    backend.makeTensorInfo(x.shape, 'float32', dx),
    backend.makeTensorInfo(gamma.shape, 'float32', dg),
    backend.makeTensorInfo(gamma.shape, 'float32', db),
  ];
}


export function simdAdamWUpdate(w: SimdKernels, { inputs, backend, attrs }: Args<AdamWAttrs>): TensorInfo[] {
  const { param, m, v, grad } = inputs;
  const n = values(backend, param).length;
  const a = w.begin();
  const pp = a.input(values(backend, param));
  const mp = a.input(values(backend, m));
  const vp = a.input(values(backend, v));
  const gp = a.input(values(backend, grad));
  const o = outputs(backend, a, n, n, n);
  const { lr, beta1, beta2, epsilon, c1, c2, decay, scale } = attrs;
  a.k.adamw(pp, mp, vp, gp, o.ptrs[0], o.ptrs[1], o.ptrs[2], n, lr / c1, beta1, beta2, epsilon, c2, decay, scale);
  return collect(a, o).map((values) => backend.makeTensorInfo(param.shape, 'float32', values));
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
  const x = a.input(sv);
  const b = a.input(values(backend, bias));
  const o = outputs(backend, a, sv.length);
  const blockBytes = rowsPerBlock * k * 4;
  for (let i = 0; i < blockOffsets.length; i++) {
    a.k.softmaxRows(x + i * blockBytes, b + blockOffsets[i] * 4, rowStride, o.ptrs[0] + i * blockBytes, rowsPerBlock, k, attrs.scale);
  }
  return backend.makeTensorInfo(shape, 'float32', collect(a, o)[0]);
}

export function simdScaledMaskedSoftmaxGrad(w: SimdKernels, { inputs, backend, attrs }: Args<{ scale: number }>): TensorInfo {
  const { dy, probs } = inputs;
  const k = probs.shape[probs.shape.length - 1];
  const pv = values(backend, probs);
  if (k === 0 || pv.length === 0) return backend.makeTensorInfo(probs.shape, 'float32', new Float32Array(pv.length));
  const a = w.begin();
  const g = a.input(values(backend, dy));
  const p = a.input(pv);
  const o = outputs(backend, a, pv.length);
  a.k.softmaxGradRows(g, p, o.ptrs[0], pv.length / k, k, attrs.scale);
  return backend.makeTensorInfo(probs.shape, 'float32', collect(a, o)[0]);
}

export function simdLogSumExpRows(w: SimdKernels, { inputs, backend }: Args): TensorInfo {
  const { x } = inputs;
  const [rows, n] = x.shape;
  const a = w.begin();
  const xp = a.input(values(backend, x));
  const o = outputs(backend, a, rows);
  a.k.logSumExpRows(xp, o.ptrs[0], rows, n);
  return backend.makeTensorInfo([rows], 'float32', collect(a, o)[0]);
}

export function simdLogSumExpRowsGrad(w: SimdKernels, { inputs, backend }: Args): TensorInfo {
  const { dy, x, lse } = inputs;
  const [rows, n] = x.shape;
  const a = w.begin();
  const g = a.input(values(backend, dy));
  const xp = a.input(values(backend, x));
  const l = a.input(values(backend, lse));
  const o = outputs(backend, a, rows * n);
  a.k.logSumExpRowsGrad(g, xp, l, o.ptrs[0], rows, n);
  return backend.makeTensorInfo(x.shape, 'float32', collect(a, o)[0]);
}

export function simdSumOfSquares(w: SimdKernels, { inputs, backend }: Args): TensorInfo {
  let total = 0;
  for (const t of Object.values(inputs)) {
    const xv = values(backend, t);
    const a = w.begin();
    total += a.k.sumOfSquares(a.input(xv), xv.length);
  }
  return backend.makeTensorInfo([], 'float32', Float32Array.of(total));
}
