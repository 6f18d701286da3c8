export { initBackend, describeBackend, TENSORFLOW_PACKAGES } from './init-backend';
export type { BackendInfo, BackendName, BackendRequest, InitBackendOptions } from './init-backend';
export { loadBlas, defaultBlasCandidates, defaultBlasThreads, isBlasDisabled } from './blas';
export type { Blas, LoadBlasOptions, LoadBlasResult } from './blas';
export { loadSimdKernels, createSimdKernels, isSimdDisabled, SimdKernels } from './wasm/simd';
export type { SimdExports, SimdLoadResult } from './wasm/simd';
export {
  APOGEE_CPU_BACKEND,
  KERNEL_OVERRIDES,
  OVERRIDDEN_KERNELS,
  registerApogeeCpuBackend,
  activeBlas,
  setActiveBlas,
  activeSimd,
  setActiveSimd,
  ApogeeCpuBackend,
} from './apogee-cpu-backend';
export { KvCache, kvCacheAttention, KV_CACHE_ATTENTION } from './ops/kv-cache';
export type { KvCacheShape, KvRows, KvStore, KvCacheAttentionOptions } from './ops/kv-cache';
export { rmsNorm, rotaryEmbedding, RMS_NORM, ROTARY_EMBEDDING } from './ops/llama-fused';
export type { GptBenchShape, GptStep, GptStepFactory } from './bench/types';
export {
  runBenchmarks,
  formatBenchmarkReport,
  GPT_BENCH_SHAPES,
  BENCHMARK_CASES,
} from './bench/run-benchmarks';
export { plainGptStep, layersFitStep } from './bench/plain-gpt';
export type { BenchmarkCase, BenchmarkOptions, BenchmarkReport, BenchmarkResult, BenchmarkRound } from './bench/run-benchmarks';
export { geluTanh, layerNorm, adamwUpdate, scaledMaskedSoftmax, multiHeadAttention, logSumExpRows, sumOfSquares } from './ops/fused';
export type { AdamWUpdateOptions, MultiHeadAttentionOptions } from './ops/fused';
