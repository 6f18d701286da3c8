/**
 * Backend selection: `tensorflow` (tfjs-node-gpu, then tfjs-node, when installed) → `apogee-cpu`
 * (CBLAS + fast JS kernels) → `cpu`. Logs once which backend was chosen and why the better ones
 * were not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, BACKEND_NAMES, ERROR_CODES, consoleLogger, type Logger } from '@apogee/core';
import { APOGEE_CPU_BACKEND, quiet, registerApogeeCpuBackend } from './apogee-cpu-backend';
import { type Blas, defaultBlasThreads, loadBlas } from './blas';
import { loadSimdKernels, type SimdKernels } from './wasm/simd';

/** What a caller may ask for; `auto` picks the fastest available. */
export type BackendRequest = (typeof BACKEND_NAMES)[number];
/** What can actually run. */
export type BackendName = Exclude<BackendRequest, 'auto'>;

/** The packages that provide the native `tensorflow` backend, best first. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export interface InitBackendOptions {
  /** Backend to use. Default: `APOGEE_BACKEND`, else `auto` (tensorflow → apogee-cpu → cpu). */
  backend?: BackendRequest;
  /**
   * CBLAS library for apogee-cpu's matmul: a path or soname, or `'none'` for no BLAS. Default:
   * `APOGEE_BLAS`, else `libopenblas.so.0` and friends (Linux), Accelerate (macOS).
   */
  blasLibrary?: string;
  /**
   * BLAS worker threads. Default: `APOGEE_BLAS_THREADS`, else `OPENBLAS_NUM_THREADS`, else 1
   * (docs/decisions/0011-blas-thread-count.md).
   */
  blasThreads?: number;
  /**
   * apogee-cpu's WebAssembly SIMD kernels (docs/decisions/0017-wasm-simd-kernels.md). Default: on,
   * unless `APOGEE_SIMD=0`; off runs the plain JS kernels.
   */
  simd?: boolean;
  /** Where the one-line choice report goes. Default: stderr (`consoleLogger`). */
  logger?: Logger;
  /**
   * Modules tried for the `tensorflow` backend, in order (names or paths). Default:
   * `TENSORFLOW_PACKAGES`. Tests point this at fixtures.
   */
  tensorflowPackages?: readonly string[];
}

export interface BackendInfo {
  /** The backend now active in tfjs. */
  name: BackendName;
  /** What was asked for. */
  requested: BackendRequest;
  /** Why each better backend was not used (empty when the best one was). */
  reasons: string[];
  /** The CBLAS library apogee-cpu's matmul calls, or null (no BLAS, or another backend). */
  blas: string | null;
  /** BLAS threads in use, when known. */
  blasThreads: number | null;
  /** OpenBLAS's kernels (`SkylakeX`, `Haswell`, …), when the BLAS is OpenBLAS. */
  blasCore: string | null;
  /**
   * The kernels OpenBLAS would have used by itself when apogee loaded it with newer ones (it did not
   * know this CPU model; docs/decisions/0016-openblas-core-type.md), else null.
   */
  blasCoreFallback: string | null;
  /** Whether apogee-cpu runs its WebAssembly SIMD kernels (false: its JS kernels, or another backend). */
  simd: boolean;
  /** The module that provided `tensorflow`, when that backend was chosen. */
  tensorflowPackage: string | null;
}

function invalid(where: string, value: unknown, allowed: string): ApogeeError {
  return new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${where} is ${JSON.stringify(value)}; allowed: ${allowed}.`, {
    hint: `Set ${where} to one of the allowed values, or leave it unset for the default.`,
  });
}

interface Resolved {
  backend: BackendRequest;
  blasLibrary: string | undefined;
  blasThreads: number;
  simd: boolean | undefined;
  tensorflowPackages: readonly string[];
}

function resolveOptions(options: InitBackendOptions): Resolved {
  const allowed = BACKEND_NAMES.join(' | ');
  let backend: BackendRequest = 'auto';
  if (options.backend !== undefined) {
    if (!(BACKEND_NAMES as readonly string[]).includes(options.backend)) throw invalid('option "backend"', options.backend, allowed);
    backend = options.backend;
  } else if (process.env.APOGEE_BACKEND) {
    const env = process.env.APOGEE_BACKEND.trim();
    if (!(BACKEND_NAMES as readonly string[]).includes(env)) throw invalid('environment variable APOGEE_BACKEND', env, allowed);
    backend = env as BackendRequest;
  }
  let blasThreads: number;
  if (options.blasThreads !== undefined) {
    if (!Number.isInteger(options.blasThreads) || options.blasThreads < 1) {
      throw invalid('option "blasThreads"', options.blasThreads, 'an integer ≥ 1');
    }
    blasThreads = options.blasThreads;
  } else {
    const raw = process.env.APOGEE_BLAS_THREADS;
    if (raw !== undefined && raw.trim() !== '' && !(Number.isInteger(Number(raw)) && Number(raw) >= 1)) {
      throw invalid('environment variable APOGEE_BLAS_THREADS', raw, 'an integer ≥ 1');
    }
    blasThreads = defaultBlasThreads();
  }
  return {
    backend,
    blasLibrary: options.blasLibrary,
    blasThreads,
    simd: options.simd,
    tensorflowPackages: options.tensorflowPackages ?? TENSORFLOW_PACKAGES,
  };
}

/** Tries each tensorflow package; returns the one that made `tensorflow` active, or reasons. */
async function tryTensorflow(packages: readonly string[], reasons: string[]): Promise<string | null> {
  for (const name of packages) {
    let path: string;
    try {
      path = require.resolve(name);
    } catch {
      reasons.push(`${name} not installed`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path);
    } catch (e) {
      reasons.push(`${name} is installed but failed to load: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!tf.findBackendFactory('tensorflow')) {
      reasons.push(`${name} loaded but registered no "tensorflow" backend with this copy of @tensorflow/tfjs-core (versions differ?)`);
      continue;
    }
    if (await tf.setBackend('tensorflow')) return name;
    reasons.push(`${name} loaded but its "tensorflow" backend failed to initialise`);
  }
  return null;
}

/**
 * Training needs every op's gradient registered, and `@tensorflow/tfjs-core`'s CommonJS entry
 * registers none (its `dist/register_all_gradients.js` is an ES module Node cannot require), nor
 * the chained tensor methods (`x.reshape(…)`). The build bundles both from tfjs-core into
 * `dist/tfjs-extras.js` (scripts/bundle-tfjs-extras.mjs); they share the one installed tfjs-core.
 * Run from source (tests, a checkout), the same registrations come from `@tensorflow/tfjs`'s Node
 * bundle, a devDependency.
 */
function registerTfjsExtras(): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('./tfjs-extras.js');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !__filename.endsWith('.ts')) throw e;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs');
  }
}

async function select(o: Resolved): Promise<BackendInfo> {
  registerTfjsExtras();
  const reasons: string[] = [];
  const info = (name: BackendName, blas: Blas | null = null, tensorflowPackage: string | null = null, simd: SimdKernels | null = null): BackendInfo => ({
    name, requested: o.backend, reasons, blas: blas?.library ?? null, blasThreads: blas?.threads() ?? null,
    blasCore: blas?.core ?? null, blasCoreFallback: blas?.coreFallback ?? null, simd: simd !== null, tensorflowPackage,
  });

  if (o.backend === 'cpu') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-cpu');
    reasons.push('backend "cpu" requested');
    if (!(await tf.setBackend('cpu'))) throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, 'The tfjs "cpu" backend failed to initialise.');
    quiet(tf.backend());
    return info('cpu');
  }

  if (o.backend === 'auto' || o.backend === 'tensorflow') {
    const pkg = await tryTensorflow(o.tensorflowPackages, reasons);
    if (pkg) return info('tensorflow', null, pkg);
    if (o.backend === 'tensorflow') {
      throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, `The "tensorflow" backend is unavailable: ${reasons.join('; ')}.`, {
        hint: 'Install @tensorflow/tfjs-node (or -gpu) with the same version as @tensorflow/tfjs-core, or use backend "auto".',
      });
    }
  }

  // apogee-cpu: the fast kernels always apply; matmul on a CBLAS, else the WebAssembly GEMM.
  const { blas, reasons: blasReasons } = loadBlas({ library: o.blasLibrary });
  const { kernels: simd, reason: simdReason } = loadSimdKernels({ enabled: o.simd });
  if (blas) {
    blas.setThreads(o.blasThreads);
  } else {
    reasons.push(simd
      ? `no CBLAS library found (${blasReasons.join('; ')}): apogee-cpu's matmul runs on its WebAssembly SIMD GEMM; install libopenblas0 (Debian/Ubuntu) or set APOGEE_BLAS to a library exporting cblas_sgemm for 2–4× faster large matrix products`
      : `no CBLAS library found (${blasReasons.join('; ')}): install libopenblas0 (Debian/Ubuntu) or set APOGEE_BLAS to a library exporting cblas_sgemm for ~100× faster matrix products; apogee-cpu's matmul uses the plain JS kernel`,
    );
  }
  if (simdReason) reasons.push(simdReason);
  try {
    registerApogeeCpuBackend(blas, simd);
    if (await tf.setBackend(APOGEE_CPU_BACKEND)) return info('apogee-cpu', blas, null, simd);
    reasons.push('apogee-cpu failed to initialise');
  } catch (e) {
    if (o.backend === 'apogee-cpu') throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, `The apogee-cpu backend failed: ${(e as Error).message}`, { cause: e });
    reasons.push(`apogee-cpu failed: ${(e as Error).message}`);
  }
  if (o.backend === 'apogee-cpu') throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, `The apogee-cpu backend is unavailable: ${reasons.join('; ')}.`);
  if (!(await tf.setBackend('cpu'))) throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, 'No tfjs backend could be initialised.');
  quiet(tf.backend());
  return info('cpu');
}

/** One line a person reads: the choice, then why the better ones were not used. */
export function describeBackend(info: BackendInfo): string {
  const threads = info.blasThreads ? `, ${info.blasThreads} thread${info.blasThreads === 1 ? '' : 's'}` : '';
  const core = info.blasCore
    ? `, ${info.blasCore} kernels${info.blasCoreFallback ? ` chosen by apogee: OpenBLAS by itself picks ${info.blasCoreFallback} on this CPU` : ''}`
    : '';
  const what = info.name === 'tensorflow' ? `tensorflow (${info.tensorflowPackage})`
    : info.name === 'apogee-cpu' ? `apogee-cpu (${info.blas ? `BLAS ${info.blas}${core}${threads}` : info.simd ? 'no BLAS: WebAssembly SIMD GEMM' : 'no BLAS'}; ${info.simd ? 'WebAssembly SIMD kernels' : 'JS kernels'})`
    : 'cpu';
  return `apogee: tensor backend ${what}${info.reasons.length ? `; ${info.reasons.join('; ')}` : ''}`;
}

let current: { key: string; promise: Promise<BackendInfo>; settled?: BackendInfo } | null = null;

/**
 * Selects and activates the tensor backend. Idempotent: calls with the same effective options
 * share one selection (and one log line); different options select again.
 *
 * @throws ApogeeError `APOGEE_INVALID_ARGUMENT` for a bad option or environment value;
 *   `APOGEE_BACKEND_UNAVAILABLE` when an explicitly requested backend cannot run.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const resolved = resolveOptions(options);
  const key = JSON.stringify(resolved);
  // Same options: reuse the selection, unless someone switched tfjs to another backend since.
  if (current && current.key === key && (!current.settled || tf.getBackend() === current.settled.name)) {
    return current.promise;
  }
  const logger = options.logger ?? consoleLogger;
  const entry: { key: string; promise: Promise<BackendInfo>; settled?: BackendInfo } = { key, promise: Promise.resolve(null as never) };
  const promise = select(resolved).then((info) => {
    logger.info(describeBackend(info));
    entry.settled = info;
    return info;
  });
  entry.promise = promise;
  current = entry;
  promise.catch(() => {
    if (current?.promise === promise) current = null;
  });
  return promise;
}
