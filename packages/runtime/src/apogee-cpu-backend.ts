/**
 * The `apogee-cpu` backend: a tfjs backend whose instance is the cpu backend's `MathBackendCPU`
 * (plus a pool of output arrays), with every cpu kernel registered for it and the hot ones replaced (the way tfjs's own backends
 * plug in: `registerBackend` + `registerKernel`). Registering is explicit; importing this module
 * registers nothing.
 */
import {
  getGradient,
  getKernel,
  getKernelsForBackend,
  registerBackend,
  registerGradient,
  registerKernel,
  unregisterKernel,
  findBackendFactory,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
// The package entry registers the cpu backend and its kernels, which apogee-cpu copies below.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { Blas } from './blas';
import type { SimdKernels } from './wasm/simd';
import { BufferPool, defaultPoolBytes } from './kernels/buffer-pool';
import { batchMatMulOverride, fusedMatMulOverride } from './kernels/matmul';
import { binaryOverrides } from './kernels/binary';
import { gatherV2Override, unsortedSegmentSumOverride } from './kernels/segment';
import { concatOverride, padV2Override, sliceOverride, splitVOverride, stridedSliceOverride, transposeOverride } from './kernels/layout';
import { reduceOverrides, softmaxOverride, unaryOverrides } from './kernels/elementwise';
import { fusedKernelConfigs } from './kernels/fused';
import { oneHotOverride, selectOverride } from './kernels/select-onehot';
import { tileOverride } from './kernels/tile';
import { castOverride, stepOverride } from './kernels/cast-step';
import { meanGradConfig, sumGradConfig } from './ops/reduce-grads';
import { attentionKernelConfigs } from './kernels/attention';
import { kvCacheKernelConfigs } from './kernels/kv-cache';
import { llamaFusedKernelConfigs } from './kernels/llama-fused';
import { SCALED_MASKED_SOFTMAX, scaledMaskedSoftmaxGradConfig } from './ops/fused';
import type { Fallback, KernelOverride, KernelState } from './kernels/types';

type DataId = object;
type BackendValues = Parameters<MathBackendCPU['write']>[0];

/**
 * The cpu backend plus a pool of kernel output arrays (`kernels/buffer-pool.ts`): every array
 * stored for a tensor is counted, a pool-born array returns to the pool when its last tensor is
 * disposed, and `readSync` (what `dataSync()`/`data()` read) copies pool-born arrays, so none of
 * them ever reaches user code.
 */
export class ApogeeCpuBackend extends MathBackendCPU {
  /** Output arrays: views of the SIMD kernels' arena while it has room (`wasm/arena.ts`), else reused JS arrays. */
  readonly pool = new BufferPool(defaultPoolBytes(), () => state.simd?.arena ?? null);

  override write(values: BackendValues, shape: number[], dtype: Parameters<MathBackendCPU['write']>[2]): DataId {
    this.pool.retain(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: Parameters<MathBackendCPU['move']>[3], refCount: number): void {
    this.pool.retain(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId)!.values : undefined;
    const released = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) this.pool.release(values);
    return released;
  }

  override readSync(dataId: DataId): BackendValues {
    const values = super.readSync(dataId);
    return this.pool.owns(values) ? (values as Float32Array).slice() : values;
  }

  override dispose(): void {
    super.dispose();
    this.pool.clear();
  }

  /** `handles`: the BLAS and SIMD kernels this backend's kernels use (`registerApogeeCpuBackend` sets them). */
  constructor(private readonly handles: KernelState = { blas: null, simd: null }) {
    super();
  }

  /** The CBLAS library of the matrix products (null: the WebAssembly SIMD GEMM or the JS GEMM). */
  get blas(): Blas | null {
    return this.handles.blas;
  }

  /** The WebAssembly SIMD kernels (null: the JS kernels). */
  get simd(): SimdKernels | null {
    return this.handles.simd;
  }
}

/** The backend's name in tfjs (`tf.setBackend('apogee-cpu')`). */
export const APOGEE_CPU_BACKEND = 'apogee-cpu';

/** Every kernel apogee-cpu replaces; the rest are the cpu backend's own. */
export const KERNEL_OVERRIDES: readonly KernelOverride[] = [
  batchMatMulOverride,
  fusedMatMulOverride,
  unsortedSegmentSumOverride,
  gatherV2Override,
  transposeOverride,
  splitVOverride,
  concatOverride,
  padV2Override,
  sliceOverride,
  stridedSliceOverride,
  softmaxOverride,
  selectOverride,
  oneHotOverride,
  tileOverride,
  stepOverride,
  castOverride,
  ...binaryOverrides,
  ...unaryOverrides,
  ...reduceOverrides,
];

/** Names of the replaced kernels. */
export const OVERRIDDEN_KERNELS: readonly string[] = KERNEL_OVERRIDES.map((k) => k.kernelName);

const state: KernelState = { blas: null, simd: null };
let registered = false;

/**
 * Registers `apogee-cpu` (once per process), points its matmul at `blas` (null: a JS GEMM) and its
 * elementwise kernels at `simd` (null: the JS kernels). Calling it again only swaps the two. Priority 2 puts it above `cpu` (1) and
 * below `tensorflow` (3) should tfjs pick a backend on its own.
 */
export function registerApogeeCpuBackend(blas: Blas | null, simd: SimdKernels | null = null): void {
  state.blas = blas;
  state.simd = simd;
  if (registered) return;
  if (!findBackendFactory(APOGEE_CPU_BACKEND)) {
    registerBackend(APOGEE_CPU_BACKEND, () => quiet(new ApogeeCpuBackend(state)), 2);
  }
  for (const config of getKernelsForBackend('cpu')) {
    if (getKernel(config.kernelName, APOGEE_CPU_BACKEND)) unregisterKernel(config.kernelName, APOGEE_CPU_BACKEND);
    registerKernel({ ...config, backendName: APOGEE_CPU_BACKEND });
  }
  for (const override of KERNEL_OVERRIDES) {
    const original = getKernel(override.kernelName, 'cpu');
    if (!original) continue; // A tfjs version without this kernel: nothing to replace.
    const fallback = original.kernelFunc as unknown as Fallback;
    const config: KernelConfig = {
      kernelName: override.kernelName,
      backendName: APOGEE_CPU_BACKEND,
      kernelFunc: override.make(state, fallback) as KernelFunc,
    };
    unregisterKernel(override.kernelName, APOGEE_CPU_BACKEND);
    registerKernel(config);
  }
  // Kernels of apogee's fused ops (geluTanh, layerNorm, adamwUpdate): apogee-cpu only.
  for (const config of [...fusedKernelConfigs(APOGEE_CPU_BACKEND, state), ...attentionKernelConfigs(APOGEE_CPU_BACKEND, state), ...kvCacheKernelConfigs(APOGEE_CPU_BACKEND), ...llamaFusedKernelConfigs(APOGEE_CPU_BACKEND)]) {
    if (!getKernel(config.kernelName, APOGEE_CPU_BACKEND)) registerKernel(config);
  }
  // The fused attention softmax differentiates through the kernel registry (lazy per-input
  // gradients: the mask's is computed only when asked for).
  if (!getGradient(SCALED_MASKED_SOFTMAX)) registerGradient(scaledMaskedSoftmaxGradConfig);
  // Sum's and Mean's gradients as a broadcast of dy (the same values as tfjs's dy · ones(x.shape),
  // on every backend, without filling a ones tensor of x's size each time): ops/reduce-grads.ts.
  registerGradient(sumGradConfig);
  registerGradient(meanGradConfig);
  registered = true;
}

/**
 * Turns off MathBackendCPU's first-write notice ("install our node backend"): initBackend's own
 * log line already says which backend runs and why.
 */
export function quiet<B extends object>(backend: B): B {
  (backend as { firstUse?: boolean }).firstUse = false;
  return backend;
}

/** The BLAS apogee-cpu's matmul uses now (null: the cpu kernel). */
export function activeBlas(): Blas | null {
  return state.blas;
}

/** The WebAssembly SIMD kernels apogee-cpu uses now (null: its JS kernels). */
export function activeSimd(): SimdKernels | null {
  return state.simd;
}

/**
 * Switches apogee-cpu between its WebAssembly SIMD kernels and its JS kernels without re-selecting
 * the backend: tests cover both paths in one process.
 */
export function setActiveSimd(simd: SimdKernels | null): void {
  state.simd = simd;
}

/**
 * Swaps the BLAS used by apogee-cpu's matmul kernels without re-selecting the backend: tests use
 * `setActiveBlas(null)` to cover the no-BLAS fallback path in the same process.
 */
export function setActiveBlas(blas: Blas | null): void {
  state.blas = blas;
}
