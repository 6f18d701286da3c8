/**
 * Tensor values resident in the WebAssembly SIMD kernels' memory. A kernel call used to copy
 * each input into the module's memory and each output out of it: for an element-wise op that is
 * two extra passes per operand over memory the op itself touches once. The arena hands out the
 * kernels' output arrays as views of a fixed region of that memory, so a kernel whose inputs
 * are such views reads them where they are and writes its output in place
 * (docs/decisions/0024-wasm-resident-tensors.md).
 *
 * The memory holding the arena never grows (growing a WebAssembly memory detaches every view of
 * it): the region is reserved when the kernels are instantiated. Blocks are 64-byte aligned;
 * freed blocks are reused by exact size first (a training loop asks for the same sizes every
 * step); when the region is full, adjacent free blocks are merged and a larger free block is
 * split; when nothing fits, `take` returns null and the caller allocates an ordinary array.
 */

/** Block sizes are multiples of this many bytes (a cache line; also the SIMD kernels' 16-byte alignment). */
const ALIGN = 64;
/** Up to this many bytes of the region are used without looking for free blocks to merge and split. */
const SOFT_MIN_BYTES = 256 * 1024 * 1024;

interface Block {
  start: number;
  /** Bytes, a multiple of ALIGN. */
  cap: number;
  /** Tensors whose values lie in this block (views included). */
  refs: number;
  free: boolean;
  /** Who took it (a backend's pool): its blocks are freed when it is cleared. */
  owner: object | null;
}

export class Arena {
  /** Every block, live or free, in address order. */
  private blocks: Block[] = [];
  private readonly byStart = new Map<number, Block>();
  /** Free blocks by capacity. */
  private readonly free = new Map<number, Block[]>();
  private top: number;
  private freeBytes = 0;
  /** The most bytes ever live at once. */
  private peakLive = 0;

  /**
   * `buffer`: the kernels' memory (it must never grow); the arena is [start, end) of it. Up to
   * `softMin` bytes (or twice the most bytes ever live, if more) are used before freed blocks of
   * other sizes are merged and split for reuse.
   */
  constructor(readonly buffer: ArrayBuffer, readonly start: number, readonly end: number, private readonly softMin = SOFT_MIN_BYTES) {
    this.start = Math.ceil(start / ALIGN) * ALIGN;
    this.top = this.start;
  }

  /** Whether `values` is a view of this arena's memory. */
  holds(values: unknown): values is Float32Array {
    return values instanceof Float32Array && values.buffer === this.buffer;
  }

  /**
   * A view of `n` float32 in a block of the arena (contents unspecified), or null when n is 0 or
   * no block that size is free.
   */
  take(n: number, owner: object | null = null): Float32Array | null {
    if (n <= 0) return null;
    const cap = Math.ceil((n * 4) / ALIGN) * ALIGN;
    // A block of the same size freed before (a training loop's steady state); else a new one at
    // the top while the region used so far stays within twice the most ever live (at least
    // `softMin`); past that, free blocks merged and split first, so a workload whose shapes keep
    // changing does not walk through the whole reserve (its pages would stay with the process).
    const block =
      this.free.get(cap)?.pop() ??
      (this.top + cap - this.start <= Math.max(this.softMin, 2 * this.peakLive) ? this.bump(cap) : null) ??
      this.fit(cap);
    if (!block) return null;
    if (block.free) {
      block.free = false;
      this.freeBytes -= block.cap;
    }
    this.peakLive = Math.max(this.peakLive, this.liveBytes);
    block.refs = 0;
    block.owner = owner;
    return new Float32Array(this.buffer, block.start, n);
  }

  /** A tensor now holds `values` (a view of a block, or of part of one). */
  retain(values: Float32Array): void {
    const block = this.blockOf(values);
    if (block && !block.free) block.refs++;
  }

  /** A tensor holding `values` was freed: its block is free again once no tensor holds it. */
  release(values: Float32Array): void {
    const block = this.blockOf(values);
    if (!block || block.free) return;
    block.refs--;
    if (block.refs <= 0) this.markFree(block);
  }

  /** Frees every block `owner` took (its backend was disposed with its tensors). */
  releaseOwner(owner: object): void {
    for (const block of this.blocks) if (!block.free && block.owner === owner) this.markFree(block);
  }

  /** Bytes in use by live blocks. */
  get liveBytes(): number {
    return this.top - this.start - this.freeBytes;
  }

  /** Bytes of the region used so far (live and free blocks): the pages the arena has touched at most. */
  get usedBytes(): number {
    return this.top - this.start;
  }

  /** Bytes the arena can hand out at most. */
  get capacity(): number {
    return this.end - this.start;
  }

  private markFree(block: Block): void {
    block.free = true;
    block.refs = 0;
    block.owner = null;
    this.freeBytes += block.cap;
    this.listFor(block.cap).push(block);
  }

  private listFor(cap: number): Block[] {
    let list = this.free.get(cap);
    if (!list) {
      list = [];
      this.free.set(cap, list);
    }
    return list;
  }

  /** A new block at the top, or null when the region is full. */
  private bump(cap: number): Block | null {
    if (this.top + cap > this.end) return null;
    const block: Block = { start: this.top, cap, refs: 0, free: false, owner: null };
    this.top += cap;
    this.blocks.push(block);
    this.byStart.set(block.start, block);
    return block;
  }

  /**
   * No free block of this size: merges runs of adjacent free blocks, gives a free run at the top
   * back to the bump pointer, takes the first free block that is large enough (split when
   * larger), else a new block at the top.
   */
  private fit(cap: number): Block | null {
    if (this.freeBytes < cap) return this.bump(cap);
    this.coalesce();
    for (let i = 0; i < this.blocks.length; i++) {
      const block = this.blocks[i];
      if (!block.free || block.cap < cap) continue;
      const list = this.free.get(block.cap)!;
      list.splice(list.indexOf(block), 1);
      if (block.cap > cap) {
        const rest: Block = { start: block.start + cap, cap: block.cap - cap, refs: 0, free: true, owner: null };
        block.cap = cap;
        this.blocks.splice(i + 1, 0, rest);
        this.byStart.set(rest.start, rest);
        this.listFor(rest.cap).push(rest);
      }
      this.freeBytes -= cap;
      block.free = false;
      return block;
    }
    return this.bump(cap);
  }

  private coalesce(): void {
    const merged: Block[] = [];
    for (const block of this.blocks) {
      const last = merged[merged.length - 1];
      if (last && last.free && block.free) {
        last.cap += block.cap;
        this.byStart.delete(block.start);
      } else {
        merged.push(block);
      }
    }
    const tail = merged[merged.length - 1];
    if (tail && tail.free) {
      merged.pop();
      this.byStart.delete(tail.start);
      this.top = tail.start;
      this.freeBytes -= tail.cap;
    }
    this.blocks = merged;
    this.free.clear();
    for (const block of merged) if (block.free) this.listFor(block.cap).push(block);
  }

  /**
   * The block `values` lies in (a view made by a contiguous slice may start inside one); none for
   * an empty view, which keeps nothing alive.
   */
  private blockOf(values: Float32Array): Block | undefined {
    if (values.length === 0) return undefined;
    const at = values.byteOffset;
    const exact = this.byStart.get(at);
    if (exact) return exact;
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.blocks[mid];
      if (b.start > at) hi = mid - 1;
      else if (at >= b.start + b.cap) lo = mid + 1;
      else return b;
    }
    return undefined;
  }
}
