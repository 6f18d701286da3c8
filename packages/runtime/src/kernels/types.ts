import type { DataType, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { Blas } from '../blas';
import type { SimdKernels } from '../wasm/simd';

/**
 * What the apogee-cpu kernels share: the BLAS in use (null: matmul falls back to a JS GEMM) and
 * the WebAssembly SIMD kernels (null: the JS kernels run).
 */
export interface KernelState {
  blas: Blas | null;
  simd: SimdKernels | null;
}

/** The arguments every kernel function receives (tfjs passes `inputs`, `backend`, `attrs`). */
export interface KernelArgs<A = NamedAttrMap> {
  inputs: Record<string, TensorInfo> & TensorInfo[];
  backend: MathBackendCPU;
  attrs: A;
}

/** Calls the original `cpu` kernel for cases a fast path does not cover. */
export type Fallback = (args: KernelArgs<unknown>) => TensorInfo | TensorInfo[];

/** A kernel replacement: given the original cpu kernel, returns the apogee-cpu kernel function. */
export interface KernelOverride {
  kernelName: string;
  make(state: KernelState, fallback: Fallback): KernelConfig['kernelFunc'];
}

/** The part of {@link Blas} the matmul kernels need (CBLAS, the WebAssembly GEMM or the JS GEMM). */
export type Gemm = Pick<Blas, 'sgemm'>;

export function values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Dtypes whose values are plain numeric typed arrays in the cpu backend. */
export function isNumeric(dtype: DataType): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

/** Attributes of the fused AdamW kernel (`ops/fused.ts` adamwUpdate; c1, c2: bias corrections 1 − βᵗ). */
export interface AdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  c1: number;
  c2: number;
  decay: number;
  scale: number;
}
