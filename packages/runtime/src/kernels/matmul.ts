/**
 * `BatchMatMul` and `_FusedMatMul` through CBLAS `sgemm` (when no CBLAS is loaded: the
 * WebAssembly SIMD GEMM, or a plain-JS GEMM without the SIMD kernels). Float32 only; other
 * dtypes go to the cpu backend's kernel.
 */
import { backend_util, getKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { binaryOp } from './binary';
import { type Gemm, type KernelArgs, type KernelOverride, type KernelState, sizeOf, values } from './types';
import { takeOutput } from './buffer-pool';
import { sharedWasmGemm } from './wasm-gemm';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

export type { Gemm } from './types';

/**
 * Plain-JS row-major GEMM with the CBLAS argument order and meaning (C = alpha·op(A)·op(B) +
 * beta·C; with beta 0, C is not read), used when neither a CBLAS library nor the WebAssembly SIMD
 * kernels are available: a row-axpy loop the
 * JIT keeps in registers, ~2× the cpu kernel, and with numpy batch broadcasting (the cpu kernel's
 * batch mapping is not broadcasting).
 */
export const jsGemm: Gemm = {
  sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
    const row = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      row.fill(0);
      if (transB) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += (transA ? a[p * lda + i] : a[i * lda + p]) * b[j * ldb + p];
          row[j] = s;
        }
      } else {
        for (let p = 0; p < k; p++) {
          const aip = transA ? a[p * lda + i] : a[i * lda + p];
          const base = p * ldb;
          for (let j = 0; j < n; j++) row[j] += aip * b[base + j];
        }
      }
      const o = i * ldc;
      if (beta === 0) for (let j = 0; j < n; j++) c[o + j] = alpha * row[j];
      else for (let j = 0; j < n; j++) c[o + j] = alpha * row[j] + beta * c[o + j];
    }
  },
};

/**
 * The matrix product in use: CBLAS when loaded, else the WebAssembly SIMD GEMM when the SIMD
 * kernels are on, else the JS GEMM.
 */
export function gemmOf(state: KernelState): Gemm {
  return state.blas ?? (state.simd ? sharedWasmGemm(jsGemm) : null) ?? jsGemm;
}

/**
 * Row-major batched matmul with broadcasting batch dims, written into a new Float32Array. With
 * `rowBias` (a float32 vector of the output's last dim) the output starts as that row repeated and the product is added onto it (sgemm's beta = 1): `_FusedMatMul`'s bias
 * without a second output array and pass.
 */
export function blasBatchMatMul(
  blas: Gemm, backend: MathBackendCPU, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean,
  rowBias: Float32Array | null = null,
): TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const kA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (kA !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${kA}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const k = kA;
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  const outBatchShape = backend_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  const outShape = [...outBatchShape, m, n];
  const batch = sizeOf(outBatchShape);
  // sgemm with beta = 0, or the bias rows prefilled below, write every element of a pooled array;
  // with k = 0 and no bias there are no products, and the result is zeros.
  const out = k === 0 && !rowBias ? new Float32Array(batch * m * n) : takeOutput(backend, batch * m * n);
  if (rowBias) for (let r = 0, rows = batch * m; r < rows; r++) out.set(rowBias, r * n);
  if (out.length === 0 || k === 0) return backend.makeTensorInfo(outShape, 'float32', out);
  const beta = rowBias ? 1 : 0;

  const av = values(backend, a);
  const bv = values(backend, b);
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  const batchA = sizeOf(batchShapeA);
  const batchB = sizeOf(batchShapeB);

  // One big product when B is shared and A's batches are stacked rows: [batch*m, k] x [k, n].
  if (batchB === 1 && !transposeA && batchA === batch) {
    blas.sgemm(false, transposeB, batch * m, n, k, 1, av, lda, bv, ldb, beta, out, n);
    return backend.makeTensorInfo(outShape, 'float32', out);
  }
  const aIndex = batchIndexMap(batchShapeA, outBatchShape);
  const bIndex = batchIndexMap(batchShapeB, outBatchShape);
  const aStep = m * k;
  const bStep = k * n;
  const cStep = m * n;
  for (let i = 0; i < batch; i++) {
    const ai = aIndex(i) * aStep;
    const bi = bIndex(i) * bStep;
    blas.sgemm(transposeA, transposeB, m, n, k, 1,
      av.subarray(ai, ai + aStep), lda, bv.subarray(bi, bi + bStep), ldb, beta,
      out.subarray(i * cStep, (i + 1) * cStep), n);
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/** Maps an output batch index to the operand's batch index under broadcasting. */
function batchIndexMap(shape: readonly number[], outShape: readonly number[]): (i: number) => number {
  const size = sizeOf(shape);
  const total = sizeOf(outShape);
  if (size === total) return (i) => i;
  if (size === 1) return () => 0;
  const pad = outShape.length - shape.length;
  const full = [...new Array<number>(pad).fill(1), ...shape];
  const strides = new Array<number>(full.length).fill(0);
  let s = 1;
  for (let d = full.length - 1; d >= 0; d--) {
    strides[d] = full[d] === 1 ? 0 : s;
    s *= full[d];
  }
  return (i) => {
    let idx = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const coord = i % outShape[d];
      i = (i - coord) / outShape[d];
      idx += coord * strides[d];
    }
    return idx;
  };
}

export const batchMatMulOverride: KernelOverride = {
  kernelName: 'BatchMatMul',
  make: (state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<MatMulAttrs>;
    const { a, b } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args as never);
    return blasBatchMatMul(gemmOf(state), backend, a, b, attrs.transposeA, attrs.transposeB);
  },
};

interface FusedAttrs extends MatMulAttrs {
  activation: backend_util.Activation;
  leakyreluAlpha?: number;
}

const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', leakyrelu: 'LeakyRelu', prelu: 'Prelu',
};

export const fusedMatMulOverride: KernelOverride = {
  kernelName: '_FusedMatMul',
  make: (state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<FusedAttrs>;
    const { a, b, bias, preluActivationWeights } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) {
      return fallback(args as never);
    }
    // A bias of the output's last dim (the common [n] case) rides on sgemm's beta = 1; any other
    // bias shape is added after, with broadcasting.
    const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const rowBias = bias && sizeOf(bias.shape) === n && bias.shape[bias.shape.length - 1] === n && bias.shape.length <= a.shape.length
      ? values(backend, bias) : null;
    let current = blasBatchMatMul(gemmOf(state), backend, a, b, attrs.transposeA, attrs.transposeB, rowBias);
    if (bias && !rowBias) {
      const withBias = binaryOp('Add', backend, current, bias, state.simd);
      backend.disposeIntermediateTensorInfo(current);
      current = withBias;
    }
    const activation = attrs.activation ?? 'linear';
    if (activation !== 'linear') {
      const name = ACTIVATION_KERNELS[activation];
      // apogee-cpu's own kernel where it has one (Relu, Sigmoid: SIMD, output in the pool), else the cpu kernel.
      const kernel = name ? getKernel(name, 'apogee-cpu') ?? getKernel(name, 'cpu') : undefined;
      if (!kernel) throw new Error(`Activation ${activation} has not been implemented for the apogee-cpu backend.`);
      const activated = kernel.kernelFunc({
        inputs: activation === 'prelu' ? { x: current, alpha: preluActivationWeights } : { x: current },
        backend,
        attrs: activation === 'leakyrelu' ? { alpha: attrs.leakyreluAlpha ?? 0.2 } : {},
      }) as TensorInfo;
      backend.disposeIntermediateTensorInfo(current);
      current = activated;
    }
    return current;
  },
};
