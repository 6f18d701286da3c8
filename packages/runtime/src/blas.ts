/**
 * CBLAS through FFI: finds a shared library that exports `cblas_sgemm` (OpenBLAS on Linux,
 * Accelerate on macOS, or any library named by path) and calls it through `koffi`. Nothing is
 * compiled at install time. See docs/decisions/0010-own-kernels-cblas-through-ffi.md.
 */
import * as os from 'node:os';
import { chooseOpenBlasCore } from './openblas-core';

/** Row-major single-precision GEMM: `C = alpha * op(A) · op(B) + beta * C`. */
export interface Blas {
  /** The library that was loaded (a path or a soname). */
  readonly library: string;
  /** `openblas`, `accelerate` or `cblas` (any other library exporting `cblas_sgemm`). */
  readonly vendor: 'openblas' | 'accelerate' | 'cblas';
  /** OpenBLAS only: the kernels in use (`openblas_get_corename()`, e.g. `SkylakeX`); else null. */
  readonly core: string | null;
  /**
   * Set when apogee chose the core because OpenBLAS's own detection fell back to older kernels
   * than the CPU has: what OpenBLAS would have used (e.g. `Prescott`). See `openblas-core.ts`.
   */
  readonly coreFallback: string | null;
  /** Calls `cblas_sgemm(RowMajor, …)`. Arrays may be subarrays (their offset is honoured). */
  sgemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
  ): void;
  /** BLAS worker threads now in use, or `null` when the library cannot tell (Accelerate). */
  threads(): number | null;
  /** Sets the BLAS thread count; returns false when the library has no such control. */
  setThreads(n: number): boolean;
}

export interface LoadBlasOptions {
  /**
   * Library to load: a path or soname, or `'none'` to disable BLAS. Default: `APOGEE_BLAS`, then
   * the platform's usual names (`libopenblas.so.0`, … ; Accelerate on macOS).
   */
  library?: string;
}

export interface LoadBlasResult {
  blas: Blas | null;
  /** Why no library was loaded (each candidate and its error), empty when one was. */
  reasons: string[];
}

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

/** Library names tried in order when none is configured. */
export function defaultBlasCandidates(platform: NodeJS.Platform = os.platform()): string[] {
  if (platform === 'darwin') {
    return [
      '/System/Library/Frameworks/Accelerate.framework/Accelerate',
      'libopenblas.dylib',
      '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
      '/usr/local/opt/openblas/lib/libopenblas.dylib',
    ];
  }
  if (platform === 'win32') return ['libopenblas.dll', 'openblas.dll'];
  return ['libopenblas.so.0', 'libopenblas.so', 'libopenblasp.so.0', 'libblis.so.4', 'libcblas.so.3'];
}

/** What `APOGEE_BLAS` / `library` values mean "use no BLAS". */
export function isBlasDisabled(library: string | undefined): boolean {
  return library !== undefined && ['none', 'off', 'false', '0'].includes(library.trim().toLowerCase());
}

type KoffiModule = typeof import('koffi');

function loadKoffi(): KoffiModule | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('koffi') as KoffiModule;
  } catch (e) {
    return `the FFI library koffi could not be loaded (${(e as Error).message.split('\n')[0]})`;
  }
}

function vendorOf(library: string): Blas['vendor'] {
  if (/openblas/i.test(library)) return 'openblas';
  if (/accelerate/i.test(library)) return 'accelerate';
  return 'cblas';
}

/** Loads `library`; an OpenBLAS that would fall back to old kernels is loaded with the CPU's core. */
function loadLibrary(koffi: KoffiModule, library: string): { lib: ReturnType<KoffiModule['load']>; fallback: string | null } {
  const choice = vendorOf(library) === 'openblas' ? chooseOpenBlasCore(library) : null;
  if (!choice?.core) return { lib: koffi.load(library), fallback: null };
  // OpenBLAS reads OPENBLAS_CORETYPE once, while it is loaded, with getenv(); it is set in the C
  // environment itself (process.env may be a copy, as in jest) and not left set for child processes.
  const libc = koffi.load('libc.so.6');
  const setenv = libc.func('int setenv(const char *name, const char *value, int overwrite)') as (n: string, v: string, o: number) => number;
  const unsetenv = libc.func('int unsetenv(const char *name)') as (n: string) => number;
  setenv('OPENBLAS_CORETYPE', choice.core, 1);
  try {
    return { lib: koffi.load(library), fallback: choice.detected };
  } finally {
    unsetenv('OPENBLAS_CORETYPE');
  }
}

function openLibrary(koffi: KoffiModule, library: string): Blas {
  const { lib, fallback } = loadLibrary(koffi, library);
  const sgemm = lib.func(
    'void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)',
  );
  let setThreads: ((n: number) => void) | null = null;
  let getThreads: (() => number) | null = null;
  let core: string | null = null;
  try {
    setThreads = lib.func('void openblas_set_num_threads(int n)') as (n: number) => void;
    getThreads = lib.func('int openblas_get_num_threads()') as () => number;
    core = String((lib.func('const char* openblas_get_corename()') as () => string)());
  } catch {
    // Not OpenBLAS (Accelerate, BLIS, reference CBLAS): no thread control through the API.
  }
  const vendor = setThreads ? 'openblas' : vendorOf(library);
  return {
    library,
    vendor,
    core,
    coreFallback: core && fallback && core.toLowerCase() !== fallback.toLowerCase() ? fallback : null,
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      sgemm(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS, transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
        m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    threads: () => (getThreads ? getThreads() : null),
    setThreads(count: number) {
      if (!setThreads) return false;
      setThreads(count);
      return true;
    },
  };
}

const cache = new Map<string, Blas>();

/**
 * Loads the first library that exports `cblas_sgemm`. Never throws: when none loads, `blas` is
 * null and `reasons` says what was tried. A library is opened once per process and reused.
 */
export function loadBlas(options: LoadBlasOptions = {}): LoadBlasResult {
  const configured = options.library ?? (process.env.APOGEE_BLAS || undefined);
  if (isBlasDisabled(configured)) {
    return { blas: null, reasons: [`BLAS disabled (${options.library !== undefined ? 'blasLibrary option' : 'APOGEE_BLAS'}=${configured})`] };
  }
  const candidates = configured ? [configured] : defaultBlasCandidates();
  const koffi = loadKoffi();
  if (typeof koffi === 'string') return { blas: null, reasons: [koffi] };
  const reasons: string[] = [];
  for (const library of candidates) {
    const hit = cache.get(library);
    if (hit) return { blas: hit, reasons: [] };
    try {
      const blas = openLibrary(koffi, library);
      cache.set(library, blas);
      return { blas, reasons: [] };
    } catch (e) {
      reasons.push(`${library}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { blas: null, reasons };
}

/**
 * The BLAS thread count apogee uses unless told otherwise: `APOGEE_BLAS_THREADS` when set, else
 * 1 (see docs/decisions/0011-blas-thread-count.md: reproducible numbers across machines, no
 * busy-waiting BLAS threads competing with the JS thread). `OPENBLAS_NUM_THREADS` is honoured
 * when set and `APOGEE_BLAS_THREADS` is not.
 */
export function defaultBlasThreads(env: NodeJS.ProcessEnv = process.env): number {
  for (const name of ['APOGEE_BLAS_THREADS', 'OPENBLAS_NUM_THREADS']) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= 1) return n;
  }
  return 1;
}
