/**
 * The WebAssembly SIMD kernels (`assembly/kernels.ts`, compiled into `kernels-wasm.ts`) and the
 * memory they work in. A kernel call reads its inputs where they are when they lie in the
 * module's memory (the process-wide instance's arena of tensor values, `./arena.ts`), else copies
 * them in; it writes its outputs straight into arena arrays, else copies them out. Everything else
 * between calls is scratch, reused by the next call (see docs/decisions/0017-wasm-simd-kernels.md
 * and 0024-wasm-resident-tensors.md).
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm';
import { Arena } from './arena';
import * as os from 'node:os';
import { defaultPoolBytes } from '../kernels/buffer-pool';

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
  /** out = 1 where x > 0, alpha elsewhere, NaN for NaN (tfjs's Step), over `count` floats. */
  step(x: number, out: number, count: number, alpha: number): void;
  /** Rows of n contiguous floats from x at a·s0 + b·s1 + c·s2 + d·s3 (floats) into out, one every `ld` floats, in order (Transpose, SplitV, Concat). */
  copyRows(x: number, out: number, n0: number, n1: number, n2: number, n3: number, s0: number, s1: number, s2: number, s3: number, n: number, ld: number): void;
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
    if (!(e instanceof SimdMemoryError)) throw e;
  }
  // The instance with the arena has a fixed scratch region: a call larger than it runs on an
  // instance whose memory grows (inputs copied in, outputs copied out).
  const overflow = kernels.overflow();
  if (overflow) {
    try {
      return simd(overflow);
    } catch (e) {
      if (!(e instanceof SimdMemoryError)) throw e;
    }
  }
  return js();
}

/** Scratch bytes of the instance that holds the arena (calls needing more run on an overflow instance). */
const ARENA_SCRATCH_BYTES = 256 * 1024 * 1024;

const MIB = 1024 * 1024;
/** The default arena: 2 GiB of address space, or a quarter of the machine's memory if less. */
const DEFAULT_ARENA_MB = 2048;
/** The most an arena can be: a 32-bit memory less the scratch region and the module's own data. */
const MAX_ARENA_MB = 4096 - 256 - 16;

/** The machine's memory, or the container's limit when one is set and lower (cgroups). */
function machineMemory(): number {
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const total = os.totalmem();
  return limit !== undefined && limit > 0 && limit < total ? limit : total;
}

/**
 * Bytes the process-wide kernels instance reserves for tensor values (`./arena.ts`):
 * `APOGEE_WASM_ARENA_MB` when set (0: none), else 2 GiB or a quarter of the machine's memory (a
 * container's limit, if lower), whichever is less; none with `APOGEE_WASM_ARENA=0` or
 * `APOGEE_BUFFER_POOL_MB=0` (no reuse at all). Reserving costs address space only; pages cost memory once a tensor is written there, and
 * stay with the process (the arena's high-water mark). Tensors beyond the arena are ordinary arrays,
 * which every SIMD kernel copies in and out (docs/decisions/0081-arena-size.md).
 */
export function defaultArenaBytes(env: NodeJS.ProcessEnv = process.env, totalMemory: number = machineMemory()): number {
  if (isSimdDisabled(env.APOGEE_WASM_ARENA) || defaultPoolBytes(env) === 0) return 0;
  const raw = env.APOGEE_WASM_ARENA_MB?.trim();
  const mb = raw !== undefined && raw !== '' && Number.isFinite(Number(raw)) && Number(raw) >= 0
    ? Number(raw)
    : Math.min(DEFAULT_ARENA_MB, Math.floor(totalMemory / 4 / MIB));
  return Math.floor(Math.min(mb, MAX_ARENA_MB) * MIB);
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
  /** Where the caller's blocks must end (the arena starts there, or the memory's maximum). */
  private readonly limit: number;
  private view: Float32Array;
  private overflowKernels: SimdKernels | null = null;
  /**
   * Tensor values resident in this instance's memory (`./arena.ts`), or null. Its memory was
   * grown once to hold scratch and arena and never grows again (growing would detach the views).
   */
  readonly arena: Arena | null = null;

  /**
   * `maxBytes`: the most memory this instance may grow to (default: all a 32-bit memory
   * addresses). `arenaBytes` > 0 reserves an arena of that size above a fixed scratch region of
   * `scratchBytes`.
   */
  constructor(readonly k: SimdExports, private readonly maxBytes: number = MAX_BYTES, arenaBytes = 0, scratchBytes = ARENA_SCRATCH_BYTES) {
    this.heap = (k.heapBase() + 15) & ~15;
    this.base = this.heap;
    this.top = this.base;
    this.limit = maxBytes;
    if (arenaBytes > 0) {
      const scratchEnd = Math.ceil((this.heap + scratchBytes) / PAGE) * PAGE;
      const end = scratchEnd + Math.ceil(arenaBytes / PAGE) * PAGE;
      if (end <= maxBytes) {
        try {
          // Reserved, not touched: the pages cost memory only once written.
          k.memory.grow(Math.ceil((end - k.memory.buffer.byteLength) / PAGE));
          this.limit = scratchEnd;
          this.arena = new Arena(k.memory.buffer, scratchEnd, end);
        } catch {
          // The engine would not reserve it: no arena, calls copy in and out.
        }
      }
    }
    this.view = new Float32Array(k.memory.buffer);
  }

  /**
   * For the instance with the arena: an instance whose memory grows, for calls larger than the
   * fixed scratch region (created on first use). Null for other instances.
   */
  overflow(): SimdKernels | null {
    if (!this.arena) return null;
    this.overflowKernels ??= new SimdKernels(instantiateExports(), this.maxBytes);
    return this.overflowKernels;
  }

  /** Whether `a` is a view of this instance's memory (an arena array, or part of one). */
  resident(a: Float32Array): boolean {
    return this.arena !== null && a.buffer === this.arena.buffer;
  }

  /**
   * The byte address of `src`'s elements for a kernel that only reads them: where they are when
   * `src` is resident here, else a copy (as `put`).
   */
  input(src: Float32Array): number {
    return this.resident(src) ? src.byteOffset : this.put(src);
  }

  /**
   * The byte address a kernel writes `out`'s elements to: `out` itself when it is resident here,
   * else a new block (`collect` copies it into `out`).
   */
  output(out: Float32Array): number {
    return this.resident(out) ? out.byteOffset : this.alloc(out.length);
  }

  /** After the kernel: copies the block at `p` into `out` unless the kernel wrote `out` in place. */
  collect(out: Float32Array, p: number): void {
    if (this.resident(out) && out.byteOffset === p) return;
    out.set(this.at(p, out.length));
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
    if (top > this.limit) throw new SimdMemoryError(top);
    const need = top - this.k.memory.buffer.byteLength;
    if (need > 0) {
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

function instantiateExports(): SimdExports {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  return new WebAssembly.Instance(compiled, {}).exports as unknown as SimdExports;
}

function instantiate(maxBytes?: number, arenaBytes = 0, scratchBytes?: number): SimdKernels {
  return new SimdKernels(instantiateExports(), maxBytes, arenaBytes, scratchBytes);
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
    // The process-wide instance holds the arena of tensor values (defaultArenaBytes; none:
    // every call copies in and out).
    cached = { kernels: instantiate(undefined, defaultArenaBytes()), reason: null };
  } catch (e) {
    cached = { kernels: null, reason: `this JavaScript engine cannot run the WebAssembly SIMD kernels (${(e as Error).message.split('\n')[0]}); apogee-cpu uses its JS kernels` };
  }
  return cached;
}

/**
 * A separate instance of the kernels with a memory of its own, for data that outlives one kernel
 * call (a KV cache): freed with the instance when it is no longer referenced. Null when the SIMD
 * kernels are off or unavailable. `maxBytes` caps its memory (calls that need more fall back);
 * `arenaBytes`/`scratchBytes` give it an arena of its own (tests).
 */
export function createSimdKernels(options: { maxBytes?: number; arenaBytes?: number; scratchBytes?: number } = {}): SimdKernels | null {
  return loadSimdKernels().kernels ? instantiate(options.maxBytes, options.arenaBytes, options.scratchBytes) : null;
}

/**
 * The arena of the process-wide kernels instance (tensor values resident in WebAssembly memory),
 * or null when the kernels were not loaded, are off, or have none.
 */
export function residentArena(): Arena | null {
  return cached?.kernels?.arena ?? null;
}
