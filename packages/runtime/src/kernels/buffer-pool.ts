/**
 * Reuse of kernel output arrays. A transformer step allocates the same output sizes every step;
 * fresh `Float32Array`s cost a zero-fill, page faults for large ones and garbage collection
 * (together ~25% of a small model's step, measured: docs/decisions/0018-output-buffer-pool.md).
 *
 * An array the pool hands out is *pool-born*. Every tensor whose values live in its buffer (the
 * array itself, or a subarray view such as the cpu backend's contiguous `slice` returns) holds a
 * reference on the buffer; when the last one is disposed the array goes back to the pool, and the
 * next kernel asking for that length gets it back without a fresh allocation. Pool-born arrays
 * never reach user code: the backend's `readSync` hands out copies of them.
 */

import type { Arena } from '../wasm/arena';

interface Entry {
  /** The whole array as the pool handed it out. */
  array: Float32Array;
  /** Tensors whose values are in this buffer. */
  refs: number;
  /** Whether the array sits in the pool now (free to hand out). */
  pooled: boolean;
}

/** Default most bytes kept in the pool: `APOGEE_BUFFER_POOL_MB`, else 256 MiB. */
export function defaultPoolBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.APOGEE_BUFFER_POOL_MB;
  const mb = raw !== undefined && raw.trim() !== '' && Number.isFinite(Number(raw)) && Number(raw) >= 0 ? Number(raw) : 256;
  return Math.floor(mb * 1024 * 1024);
}

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly entries = new WeakMap<ArrayBufferLike, Entry>();
  private pooledBytes = 0;
  /** The arena this pool has taken arrays from (one per process: the SIMD kernels' instance's). */
  private arena: Arena | null = null;

  /**
   * `maxBytes`: most bytes of free arrays kept (0 disables reuse: every `take` allocates).
   * `arenaOf`: the arena of the SIMD kernels in use, if any: `take` hands out its arrays first
   * (views of WebAssembly memory, which the SIMD kernels read and write in place).
   */
  constructor(readonly maxBytes: number = defaultPoolBytes(), private readonly arenaOf: () => Arena | null = () => null) {}

  /**
   * A float32 array of length `n` whose contents are unspecified (a reused array holds old
   * values): only for kernels that write every element.
   */
  take(n: number): Float32Array {
    const arena = this.arenaOf();
    if (arena) {
      const resident = arena.take(n, this);
      if (resident) {
        this.arena = arena;
        return resident;
      }
    }
    const stack = this.free.has(n) ? this.stackFor(n) : undefined;
    const reused = stack?.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      const entry = this.entries.get(reused.buffer)!;
      entry.pooled = false;
      return reused;
    }
    const array = new Float32Array(n);
    if (n > 0) this.entries.set(array.buffer, { array, refs: 0, pooled: false });
    return array;
  }

  /** A tensor now holds `values` (called by the backend for every array it stores). */
  retain(values: unknown): void {
    if (this.arena?.holds(values)) return this.arena.retain(values);
    const entry = values instanceof Float32Array ? this.entries.get(values.buffer) : undefined;
    if (entry) entry.refs++;
  }

  /** A tensor holding `values` was freed; the buffer returns to the pool when no tensor holds it. */
  release(values: unknown): void {
    if (this.arena?.holds(values)) return this.arena.release(values);
    const entry = values instanceof Float32Array ? this.entries.get(values.buffer) : undefined;
    if (!entry || entry.pooled) return;
    entry.refs--;
    if (entry.refs > 0) return;
    const bytes = entry.array.byteLength;
    const n = entry.array.length;
    // Full: make room by dropping arrays of the lengths used least recently (a workload that moved
    // on to other shapes must not keep the pool to itself).
    for (const [len, stack] of this.free) {
      if (this.pooledBytes + bytes <= this.maxBytes) break;
      if (len === n) continue;
      while (stack.length > 0 && this.pooledBytes + bytes > this.maxBytes) {
        const dropped = stack.pop()!;
        this.entries.delete(dropped.buffer);
        this.pooledBytes -= dropped.byteLength;
      }
      if (stack.length === 0) this.free.delete(len);
    }
    if (this.pooledBytes + bytes > this.maxBytes) {
      this.entries.delete(entry.array.buffer); // not kept: the garbage collector takes it
      return;
    }
    entry.pooled = true;
    this.pooledBytes += bytes;
    this.stackFor(n).push(entry.array);
  }

  /** The free arrays of length n, marked as the most recently used length. */
  private stackFor(n: number): Float32Array[] {
    const stack = this.free.get(n) ?? [];
    this.free.delete(n);
    this.free.set(n, stack);
    return stack;
  }

  /** Whether `values` lives in a pool-born buffer (such arrays must not be handed to user code). */
  owns(values: unknown): boolean {
    if (this.arena?.holds(values)) return true;
    return ArrayBuffer.isView(values) && this.entries.has((values as Float32Array).buffer);
  }

  /** Bytes of free arrays held now. */
  get bytes(): number {
    return this.pooledBytes;
  }

  /**
   * Drops every free array (memory goes back to the garbage collector) and frees every arena
   * block this pool took (only when its backend is disposed: its tensors are gone).
   */
  clear(): void {
    this.arena?.releaseOwner(this);
    for (const stack of this.free.values()) for (const a of stack) this.entries.delete(a.buffer);
    this.free.clear();
    this.pooledBytes = 0;
  }
}

/**
 * An output array of `n` float32 for a kernel running on `backend`: from apogee-cpu's pool (contents
 * unspecified: the kernel must write every element), else a fresh zeroed array.
 */
export function takeOutput(backend: object, n: number): Float32Array {
  const pool = (backend as { pool?: BufferPool }).pool;
  return pool instanceof BufferPool ? pool.take(n) : new Float32Array(n);
}

/**
 * Returns an array `takeOutput` gave out that no tensor ever held (a kernel that gave up after
 * taking it) to apogee-cpu's pool.
 */
export function giveBack(backend: object, array: Float32Array): void {
  const pool = (backend as { pool?: BufferPool }).pool;
  if (pool instanceof BufferPool) pool.release(array);
}
