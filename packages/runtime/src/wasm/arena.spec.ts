import { Arena } from './arena';
import { createSimdKernels, defaultArenaBytes, SimdMemoryError, withSimd } from './simd';

const MB = 1 << 20;

describe('Arena', () => {
  it('hands out 64-byte aligned views and reuses a freed block for the same size', () => {
    const buffer = new ArrayBuffer(MB);
    const arena = new Arena(buffer, 100, MB);
    const a = arena.take(10)!;
    expect(a.buffer).toBe(buffer);
    expect(a.length).toBe(10);
    expect(a.byteOffset % 64).toBe(0);
    expect(a.byteOffset).toBeGreaterThanOrEqual(100);
    arena.retain(a);
    const b = arena.take(10)!;
    expect(b.byteOffset).not.toBe(a.byteOffset);
    arena.release(a);
    const c = arena.take(12)!; // 48 bytes: the same 64-byte block size
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(arena.take(0)).toBeNull();
  });

  it('a view inside a block keeps the block until it is released too', () => {
    const arena = new Arena(new ArrayBuffer(MB), 0, MB);
    const a = arena.take(256)!;
    arena.retain(a);
    const view = a.subarray(16, 32);
    arena.retain(view);
    arena.retain(a.subarray(256, 256)); // empty: holds nothing
    arena.release(a);
    expect(arena.take(256)!.byteOffset).not.toBe(a.byteOffset);
    arena.release(view);
    expect(arena.take(256)!.byteOffset).toBe(a.byteOffset);
  });

  it('when full, merges free neighbours and splits a larger free block; null when nothing fits', () => {
    const arena = new Arena(new ArrayBuffer(64 * 8), 0, 64 * 8);
    const blocks = Array.from({ length: 8 }, () => arena.take(16)!);
    for (const b of blocks) arena.retain(b);
    expect(arena.take(16)).toBeNull();
    arena.release(blocks[1]);
    arena.release(blocks[2]);
    arena.release(blocks[3]);
    expect(arena.take(64)).toBeNull(); // 256 bytes: more than the 192 free
    const merged = arena.take(40)!; // 160 bytes, a 192-byte block: the three merged
    expect(merged.byteOffset).toBe(blocks[1].byteOffset);
    arena.retain(merged);
    expect(arena.take(16)).toBeNull();
    arena.release(blocks[7]); // the top block: its space returns to the bump pointer
    arena.release(blocks[6]);
    const top = arena.take(32)!;
    expect(top.byteOffset).toBe(blocks[6].byteOffset);
    expect(arena.liveBytes).toBe(64 * 3 + 192 + 128);
    arena.retain(top);
    arena.release(merged);
    const split = arena.take(16)!; // 64 of the free 192: split
    expect(split.byteOffset).toBe(blocks[1].byteOffset);
    arena.retain(split);
    expect(arena.take(32)!.byteOffset).toBe(blocks[2].byteOffset); // the 128 left over
  });

  it('past its soft limit, reuses freed blocks of other sizes before touching new pages', () => {
    // Shapes that keep changing (each size asked for once): without merging and splitting,
    // every request would take new pages until the region is full.
    const arena = new Arena(new ArrayBuffer(MB), 0, MB, 4096);
    for (let i = 1; i <= 200; i++) {
      const a = arena.take(64 + 16 * i)!;
      arena.retain(a);
      arena.release(a);
    }
    // At most twice the peak of live bytes (the largest request): 25.7 KB of the ~1.3 MB asked for.
    expect(arena.usedBytes).toBeLessThanOrEqual(2 * 64 * Math.ceil((4 * (64 + 16 * 200)) / 64));
    expect(arena.liveBytes).toBe(0);
  });

  it('below its soft limit (or twice the peak of live bytes) takes new blocks rather than splitting', () => {
    const arena = new Arena(new ArrayBuffer(MB), 0, MB, 4096);
    const big = arena.take(512)!; // 2 KiB
    arena.retain(big);
    arena.release(big);
    const small = arena.take(16)!; // 64 bytes: a new block, the 2 KiB one stays whole
    expect(small.byteOffset).toBe(2048);
    arena.retain(small);
    expect(arena.take(512)!.byteOffset).toBe(big.byteOffset);
    // Live bytes of 6 KiB allow a region of 12 KiB before free blocks are split.
    const live = [arena.take(1024)!, arena.take(512)!];
    for (const a of live) arena.retain(a);
    expect(arena.usedBytes).toBe(2048 + 64 + 4096 + 2048);
  });

  it('releaseOwner frees the blocks an owner took', () => {
    const arena = new Arena(new ArrayBuffer(MB), 0, MB);
    const owner = {};
    const a = arena.take(100, owner)!;
    arena.retain(a);
    const b = arena.take(100, {})!;
    arena.retain(b);
    arena.releaseOwner(owner);
    expect(arena.take(100)!.byteOffset).toBe(a.byteOffset);
  });
});

describe('defaultArenaBytes', () => {
  const GB = 1024 * MB;
  it('is 2 GiB, or a quarter of the machine memory if less; APOGEE_WASM_ARENA_MB sets it; 0 and off turn it off', () => {
    expect(defaultArenaBytes({}, 64 * GB)).toBe(2048 * MB);
    expect(defaultArenaBytes({}, 4 * GB)).toBe(1024 * MB);
    expect(defaultArenaBytes({ APOGEE_WASM_ARENA_MB: '300' }, 64 * GB)).toBe(300 * MB);
    expect(defaultArenaBytes({ APOGEE_WASM_ARENA_MB: '99999' }, 64 * GB)).toBe((4096 - 256 - 16) * MB);
    expect(defaultArenaBytes({ APOGEE_WASM_ARENA_MB: 'lots' }, 64 * GB)).toBe(2048 * MB);
    expect(defaultArenaBytes({ APOGEE_WASM_ARENA_MB: '0' }, 64 * GB)).toBe(0);
    expect(defaultArenaBytes({ APOGEE_WASM_ARENA: 'off' }, 64 * GB)).toBe(0);
    expect(defaultArenaBytes({ APOGEE_BUFFER_POOL_MB: '0' }, 64 * GB)).toBe(0);
  });
});

describe('SimdKernels with an arena', () => {
  const kernels = createSimdKernels({ arenaBytes: MB, scratchBytes: 64 * 1024 });
  const run = kernels ? it : it.skip;

  run('reads resident inputs and writes resident outputs in place, copies the rest', () => {
    const w = kernels!;
    const arena = w.arena!;
    const a = arena.take(300)!;
    const out = arena.take(300)!;
    const b = Float32Array.from({ length: 300 }, (_, i) => i);
    a.set(Float32Array.from({ length: 300 }, (_, i) => 2 * i));
    const k = w.begin();
    expect(k.input(a)).toBe(a.byteOffset);
    const bp = k.input(b);
    expect(bp).not.toBe(b.byteOffset);
    expect(k.output(out)).toBe(out.byteOffset);
    k.k.binary(0, a.byteOffset, bp, out.byteOffset, 1, 300, 0, 0, 1, 1);
    k.collect(out, out.byteOffset);
    expect(out[299]).toBe(3 * 299);
    const plain = new Float32Array(300);
    const k2 = w.begin();
    const op = k2.output(plain);
    k2.k.binary(2, k2.input(a), k2.input(b), op, 1, 300, 0, 0, 1, 1);
    k2.collect(plain, op);
    expect(plain[10]).toBe(200);
  });

  run('a call larger than the fixed scratch region runs on the overflow instance', () => {
    const w = kernels!;
    const before = w.memoryBytes;
    const n = 64 * 1024; // 256 KiB per operand: over the 64 KiB scratch
    const x = Float32Array.from({ length: n }, (_, i) => i % 7);
    const out = new Float32Array(n);
    const used: boolean[] = [];
    withSimd(w, (k) => {
      used.push(k === w);
      const op = k.begin().output(out);
      k.k.unary(8, k.input(x), op, n, 0);
      k.collect(out, op);
    }, () => { throw new Error('the JS path should not run'); });
    expect(used).toEqual([true, false]);
    expect(out[n - 1]).toBe(((n - 1) % 7) ** 2);
    expect(w.memoryBytes).toBe(before); // the arena's memory never grows (its views stay valid)
    expect(() => w.begin().alloc(n)).toThrow(SimdMemoryError);
  });
});
