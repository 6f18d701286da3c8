/**
 * The WebAssembly SIMD kernels (`assembly/kernels.ts`, compiled into `kernels-wasm.ts`) and the
 * memory they work in. A kernel call copies its inputs into the module's linear memory, runs, and
 * copies its outputs out into fresh Float32Arrays the cpu backend owns; everything between calls is
 * scratch, reused by the next call (see docs/decisions/0017-wasm-simd-kernels.md).
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm';

/** The parts of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** The module's exports: pointers are byte offsets into `memory`, counts are float32 elements. */
export interface SimdExports {
  memory: WasmMemory;
  /** First byte free for the caller: below it lie the module's static data and scratch. */
  heapBase(): number;
  gelu(x: number, out: number, sig: number, n: number): void;
  geluGrad(x: number, dy: number, sig: number, out: number, n: number): void;
  layerNorm(x: number, g: number, b: number, out: number, stats: number, rows: number, d: number, eps: number): void;
  layerNormGrad(dy: number, x: number, g: number, stats: number, dx: number, dg: number, db: number, xhat: number, rows: number, d: number, eps: number): void;
  softmaxRows(x: number, bias: number, biasStride: number, out: number, rows: number, k: number, scale: number): void;
  softmaxGradRows(dy: number, p: number, out: number, rows: number, k: number, scale: number): void;
  logSumExpRows(x: number, out: number, rows: number, n: number): void;
  logSumExpRowsGrad(dy: number, x: number, lse: number, out: number, rows: number, n: number): void;
  adamw(p: number, m: number, v: number, g: number, p1: number, m1: number, v1: number, n: number,
    stepLr: number, b1: number, b2: number, eps: number, c2: number, decay: number, scale: number): void;
  sumOfSquares(x: number, n: number): number;
  columnSums(x: number, out: number, acc: number, groups: number, rows: number, cols: number): void;
  rowSums(x: number, out: number, rows: number, cols: number): void;
  /** out[r, j] = a[r·aRow + j·aInc] ∘ b[r·bRow + j·bInc] for r < rows, j < n (aInc, bInc ∈ {0, 1}); ∘ by op code. */
  binary(op: number, a: number, b: number, out: number, rows: number, n: number, aRow: number, bRow: number, aInc: number, bInc: number): void;
  decodeAttention(qkv: number, kc: number, vc: number, slots: number, pads: number, out: number, scores: number,
    rows: number, heads: number, hd: number, maxTime: number, col: number, scale: number): void;
  biasGelu(x: number, bias: number, rows: number, n: number): void;
  /** out = f(x) over `count` floats; `op` as UNARY_SIMD_OPS (kernels/elementwise.ts), `n` the exponent of integer Pow (op 10). */
  unary(op: number, x: number, out: number, count: number, n: number): void;
  /** C = alpha·op(A)·op(B) + beta·C, row-major; packA/packB: scratch (see kernels/wasm-gemm.ts). */
  sgemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number, packA: number, packB: number): void;
}


const PAGE = 65536;
/** The most a 32-bit WebAssembly memory can address. */
const MAX_BYTES = 65536 * PAGE;

/**
 * A kernel call needs more memory than a 32-bit WebAssembly memory holds (4 GiB) or than the
 * engine grants: the caller runs the JS kernel instead (`withSimd`).
 */
export class SimdMemoryError extends RangeError {
  constructor(readonly bytes: number) {
    super(`the WebAssembly SIMD kernels cannot hold ${bytes} bytes`);
  }
}

/**
 * Runs `simd(kernels)` when there are SIMD kernels, else `js()`; also `js()` when a call needs
 * more memory than the kernels can hold (the SIMD path reads its inputs and writes only fresh
 * outputs, so running the JS path after it gave up is safe).
 */
export function withSimd<T>(kernels: SimdKernels | null, simd: (k: SimdKernels) => T, js: () => T): T {
  if (!kernels) return js();
  try {
    return simd(kernels);
  } catch (e) {
    if (e instanceof SimdMemoryError) return js();
    throw e;
  }
}

/**
 * The kernels plus a bump allocator over their memory. `begin()` starts a kernel call (everything
 * allocated by the previous call is free again); `alloc`/`put` hand out 16-byte aligned blocks,
 * growing the memory when needed (which replaces `memory.buffer`: take views with `f32()` after
 * the last allocation of a call).
 */
export class SimdKernels {
  /** Where the module's static data ends, 16-byte aligned. */
  private readonly heap: number;
  /** Where the caller's blocks start: after the static data and the persistent blocks. */
  private base: number;
  private top: number;
  private view: Float32Array;

  /** `maxBytes`: the most memory this instance may grow to (default: all a 32-bit memory addresses). */
  constructor(readonly k: SimdExports, private readonly maxBytes: number = MAX_BYTES) {
    this.heap = (k.heapBase() + 15) & ~15;
    this.base = this.heap;
    this.top = this.base;
    this.view = new Float32Array(k.memory.buffer);
  }

  /** Starts a kernel call: all blocks of the previous one are free. */
  begin(): this {
    this.top = this.base;
    return this;
  }

  /**
   * A block that stays (e.g. a KV cache) for as long as this instance lives: it is placed below
   * every later call's blocks. Only for instances of one's own (`createSimdKernels`); its byte address.
   */
  persist(count: number, bytes = 4): number {
    this.begin();
    const p = this.alloc(count, bytes);
    this.base = this.top;
    return p;
  }

  /** Frees every persistent block (the memory stays allocated, for the next user of this instance). */
  releasePersistent(): void {
    this.base = this.heap;
    this.top = this.heap;
  }

  /** A block of `count` elements of `bytes` each (4: float32, 8: float64); its byte address. */
  alloc(count: number, bytes = 4): number {
    const p = this.top;
    // Plain arithmetic, not bit operations: addresses go up to 4 GiB, past int32.
    const top = Math.ceil((p + count * bytes) / 16) * 16;
    const need = top - this.k.memory.buffer.byteLength;
    if (need > 0) {
      if (top > this.maxBytes) throw new SimdMemoryError(top);
      try {
        this.k.memory.grow(Math.ceil(need / PAGE));
      } catch {
        throw new SimdMemoryError(top);
      }
    }
    this.top = top;
    return p;
  }

  /** Copies `src` into a new block; its byte address. */
  put(src: ArrayLike<number> & { length: number }): number {
    const p = this.alloc(src.length);
    this.f32().set(src as Float32Array, p / 4);
    return p;
  }

  /** A float32 view of the whole memory (valid until the next `alloc` that grows it). */
  f32(): Float32Array {
    if (this.view.buffer !== this.k.memory.buffer) this.view = new Float32Array(this.k.memory.buffer);
    return this.view;
  }

  /** A view of `n` float32 at byte address `p` (valid until the next growing `alloc`). */
  at(p: number, n: number): Float32Array {
    return this.f32().subarray(p / 4, p / 4 + n);
  }

  /** A copy of `n` float32 at byte address `p`, for a tensor to own. */
  read(p: number, n: number): Float32Array {
    return this.f32().slice(p / 4, p / 4 + n);
  }

  /** Bytes of memory the module holds now (its high-water mark: WebAssembly memory never shrinks). */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }
}

/** What `loadSimdKernels` found. */
export interface SimdLoadResult {
  kernels: SimdKernels | null;
  /** Why there are none (SIMD turned off, or the engine cannot compile the module). */
  reason: string | null;
}

/** What `APOGEE_SIMD` values mean "off". */
export function isSimdDisabled(value: string | undefined): boolean {
  return value !== undefined && ['0', 'off', 'false', 'none'].includes(value.trim().toLowerCase());
}

let compiled: object | null = null;
let cached: SimdLoadResult | null = null;

function instantiate(maxBytes?: number): SimdKernels {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  const instance = new WebAssembly.Instance(compiled, {});
  return new SimdKernels(instance.exports as unknown as SimdExports, maxBytes);
}

/**
 * Compiles and instantiates the kernels (once per process; synchronous, ~20 KB). `APOGEE_SIMD=0`
 * (or `enabled: false`) turns them off: apogee-cpu then runs its plain JS kernels, which the
 * conformance tests also cover.
 */
export function loadSimdKernels(options: { enabled?: boolean } = {}): SimdLoadResult {
  const off = options.enabled === false || (options.enabled === undefined && isSimdDisabled(process.env.APOGEE_SIMD));
  if (off) return { kernels: null, reason: `WebAssembly SIMD kernels turned off (${options.enabled === false ? 'simd option' : 'APOGEE_SIMD'})` };
  if (cached) return cached;
  try {
    cached = { kernels: instantiate(), reason: null };
  } catch (e) {
    cached = { kernels: null, reason: `this JavaScript engine cannot run the WebAssembly SIMD kernels (${(e as Error).message.split('\n')[0]}); apogee-cpu uses its JS kernels` };
  }
  return cached;
}

/**
 * A separate instance of the kernels with a memory of its own, for data that outlives one kernel
 * call (a KV cache): freed with the instance when it is no longer referenced. Null when the SIMD
 * kernels are off or unavailable. `maxBytes` caps its memory (calls that need more fall back).
 */
export function createSimdKernels(options: { maxBytes?: number } = {}): SimdKernels | null {
  return loadSimdKernels().kernels ? instantiate(options.maxBytes) : null;
}
