import { jsGemm } from './matmul';
import { sharedWasmGemm, wasmGemm } from './wasm-gemm';
import { createSimdKernels, SimdKernels } from '../wasm/simd';
import { Rng } from '@apogee/core';

const rng = Rng.fromSeed(20261206, 'wasm-gemm');
function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Runs both GEMMs on the same operands (padded leading dimensions) and returns both Cs. */
function both(gemm: ReturnType<typeof wasmGemm>, m: number, n: number, k: number, ta: boolean, tb: boolean, alpha: number, beta: number, pad = 0) {
  const lda = (ta ? m : k) + pad;
  const ldb = (tb ? k : n) + pad;
  const ldc = n + pad;
  const a = random(Math.max(1, (ta ? k : m) * lda));
  const b = random(Math.max(1, (tb ? n : k) * ldb));
  const c0 = random(m * ldc);
  const want = c0.slice();
  const got = c0.slice();
  jsGemm.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc);
  gemm.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc);
  return { want, got };
}

/**
 * Tolerance: float32 accumulation against the JS GEMM's float64 one, |err| ≤ 1e-5 + 1e-4·|C| +
 * 4e-7·|alpha|·k (k·u for unit-normal operands, which cancel to C values far below their terms).
 */
describe('WebAssembly SIMD GEMM', () => {
  const gemm = wasmGemm(createSimdKernels() as SimdKernels, jsGemm);

  it.each([
    [1, 1, 1], [3, 5, 7], [4, 8, 256], [5, 9, 257], [130, 17, 300], [64, 64, 32], [7, 1030, 3], [129, 1025, 513], [2, 3, 0],
  ])('m=%i n=%i k=%i: every transpose, alpha, beta and leading dimension as the CBLAS-style JS GEMM', (m, n, k) => {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        for (const [alpha, beta, pad] of [[1, 0, 0], [0.7, 1, 3], [-2, 0.5, 1], [0, 0.25, 0]]) {
          const { want, got } = both(gemm, m, n, k, ta, tb, alpha, beta, pad);
          for (let i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= 1e-5 + 1e-4 * Math.abs(want[i]) + 4e-7 * Math.abs(alpha) * k)) {
              throw new Error(`m=${m} n=${n} k=${k} transA=${ta} transB=${tb} alpha=${alpha} beta=${beta}: C[${i}] = ${got[i]}, want ${want[i]}`);
            }
          }
        }
      }
    }
  });

  it('with beta = 0 does not read C (NaN in C does not leak), and leaves elements outside the ldc rows alone', () => {
    const m = 5, n = 6, k = 4, ldc = 9;
    const a = random(m * k), b = random(k * n);
    const c = new Float32Array(m * ldc).fill(NaN);
    gemm.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, ldc);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) expect(Number.isNaN(c[i * ldc + j])).toBe(j >= n);
    }
  });

  it('gives the same bits every call (fixed summation order)', () => {
    const a = random(67 * 300), b = random(300 * 45);
    const c1 = new Float32Array(67 * 45), c2 = new Float32Array(67 * 45);
    gemm.sgemm(false, false, 67, 45, 300, 1, a, 300, b, 45, 0, c1, 45);
    gemm.sgemm(false, false, 67, 45, 300, 1, a, 300, b, 45, 0, c2, 45);
    expect(Array.from(c2)).toEqual(Array.from(c1));
  });

  it('falls back to the given GEMM when a product does not fit its memory', () => {
    const small = wasmGemm(new SimdKernels((createSimdKernels() as SimdKernels).k, 1 << 20), jsGemm);
    const { want, got } = both(small, 300, 300, 300, false, false, 1, 0);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('is shared, on an instance of its own', () => {
    expect(sharedWasmGemm(jsGemm)).toBe(sharedWasmGemm(jsGemm));
  });
});
