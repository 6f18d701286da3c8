/**
 * The matrix product when no CBLAS library loads: the WebAssembly SIMD GEMM of
 * `assembly/kernels.ts` (packed panels, a 4×8 register tile, four lanes), behind the same
 * {@link Gemm} interface as CBLAS. It runs in a kernels instance of its own, so a kernel that
 * keeps data in the shared instance's memory across its `sgemm` calls (the attention kernels)
 * is not disturbed. See docs/decisions/0019-wasm-simd-gemm.md.
 */
import { createSimdKernels, SimdMemoryError, type SimdKernels } from '../wasm/simd';
import type { Gemm } from './types';

/** Block sizes of the module's GEMM (`GEMM_KC`, `GEMM_MC`, `GEMM_NC` in assembly/kernels.ts). */
const KC = 256;
const MC = 128;
const NC = 1024;
const NR = 8;

/**
 * Copies the `rows`×`cols` matrix stored at `src` with leading dimension `ld` into a new block,
 * densely (leading dimension `cols`): a strided operand (q, k and v inside a fused projection)
 * costs only its own elements. Its byte address.
 */
function putMatrix(w: SimdKernels, src: Float32Array, rows: number, cols: number, ld: number): number {
  const p = w.alloc(rows * cols);
  const mem = w.f32();
  const base = p / 4;
  if (ld === cols || rows <= 1) mem.set(src.subarray(0, rows * cols), base);
  else for (let r = 0; r < rows; r++) mem.set(src.subarray(r * ld, r * ld + cols), base + r * cols);
  return p;
}

/**
 * A {@link Gemm} running on `kernels` (an instance of its own: each call resets its allocator);
 * a product too large for a 32-bit WebAssembly memory runs on `fallback` (nothing of C is
 * written before the module has room for the whole call).
 */
export function wasmGemm(kernels: SimdKernels, fallback: Gemm): Gemm {
  return {
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      if (m === 0 || n === 0) return;
      try {
        run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      } catch (e) {
        if (!(e instanceof SimdMemoryError)) throw e;
        fallback.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      }
    },
  };

  function run(...[transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc]: Parameters<Gemm['sgemm']>): void {
    const w = kernels.begin();
    const ap = k === 0 ? 0 : transA ? putMatrix(w, a, k, m, lda) : putMatrix(w, a, m, k, lda);
    const bp = k === 0 ? 0 : transB ? putMatrix(w, b, n, k, ldb) : putMatrix(w, b, k, n, ldb);
    const cp = beta === 0 ? w.alloc(m * n) : putMatrix(w, c, m, n, ldc);
    const packA = w.alloc(MC * KC);
    const packB = w.alloc(KC * Math.ceil(Math.min(n, NC) / NR) * NR);
    w.k.sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, ap, transA ? m : k, bp, transB ? k : n, beta, cp, n, packA, packB);
    const mem = w.f32();
    const base = cp / 4;
    if (ldc === n || m === 1) c.set(mem.subarray(base, base + m * n));
    else for (let r = 0; r < m; r++) c.set(mem.subarray(base + r * n, base + (r + 1) * n), r * ldc);
  }
}

let shared: Gemm | null | undefined;

/**
 * The WebAssembly GEMM on an instance of its own (created on first use), or null when the SIMD
 * kernels are off or cannot run here.
 */
export function sharedWasmGemm(fallback: Gemm): Gemm | null {
  if (shared === undefined) {
    const kernels = createSimdKernels();
    shared = kernels ? wasmGemm(kernels, fallback) : null;
  }
  return shared;
}
