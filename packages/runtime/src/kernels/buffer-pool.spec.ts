import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { initBackend } from '../init-backend';
import { ApogeeCpuBackend } from '../apogee-cpu-backend';
import { BufferPool, defaultPoolBytes, takeOutput } from './buffer-pool';

describe('BufferPool', () => {
  it('hands a released array back for the same length, only once no tensor holds its buffer', () => {
    const pool = new BufferPool(1 << 20);
    const a = pool.take(100);
    pool.retain(a);
    pool.retain(a.subarray(10, 20)); // a second tensor on the same buffer (a contiguous slice)
    pool.release(a);
    expect(pool.take(100)).not.toBe(a); // still held by the slice
    pool.release(a.subarray(10, 20));
    expect(pool.bytes).toBe(400);
    expect(pool.take(99)).not.toBe(a); // other lengths do not get it
    expect(pool.take(100)).toBe(a);
    expect(pool.bytes).toBe(0);
  });

  it('ignores arrays it did not make, keeps at most maxBytes, and clear() drops what it keeps', () => {
    const pool = new BufferPool(800);
    const foreign = new Float32Array(10);
    pool.retain(foreign);
    pool.release(foreign);
    expect(pool.owns(foreign)).toBe(false);
    expect(pool.take(10)).not.toBe(foreign);
    const [x, y, z] = [pool.take(100), pool.take(100), pool.take(100)];
    for (const t of [x, y, z]) {
      pool.retain(t);
      pool.release(t);
    }
    expect(pool.bytes).toBe(800); // the third did not fit
    expect(pool.owns(z)).toBe(false);
    pool.clear();
    expect(pool.bytes).toBe(0);
    expect(pool.take(100)).not.toBe(x);
  });

  it('when full, drops arrays of the least recently used lengths to keep a new one', () => {
    const pool = new BufferPool(1200);
    const cycle = (a: Float32Array) => {
      pool.retain(a);
      pool.release(a);
    };
    const old = [pool.take(100), pool.take(100)];
    const mid = pool.take(50);
    old.forEach(cycle);
    cycle(mid);
    expect(pool.bytes).toBe(1000);
    expect(pool.take(50)).toBe(mid); // length 50 is now the most recent; 100 the least
    cycle(mid);
    const fresh = pool.take(150);
    cycle(fresh); // 600 bytes: one length-100 array goes
    expect(pool.bytes).toBe(400 + 200 + 600);
    expect(pool.owns(mid)).toBe(true);
    expect(old.filter((a) => pool.owns(a))).toHaveLength(1);
    expect(pool.take(150)).toBe(fresh);
  });

  it('maxBytes 0 reuses nothing; APOGEE_BUFFER_POOL_MB sets the default', () => {
    const pool = new BufferPool(0);
    const a = pool.take(8);
    pool.retain(a);
    pool.release(a);
    expect(pool.take(8)).not.toBe(a);
    expect(defaultPoolBytes({ APOGEE_BUFFER_POOL_MB: '1' })).toBe(1 << 20);
    expect(defaultPoolBytes({ APOGEE_BUFFER_POOL_MB: 'lots' })).toBe(256 << 20);
    expect(defaultPoolBytes({})).toBe(256 << 20);
  });

  it('takeOutput: zeroed fresh arrays on backends without a pool', () => {
    expect(Array.from(takeOutput({}, 3))).toEqual([0, 0, 0]);
  });
});

describe('apogee-cpu with the pool', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
  });

  it('is the backend instance, and kernel outputs come from and go back to its pool', () => {
    const backend = tf.backend() as ApogeeCpuBackend;
    expect(backend).toBeInstanceOf(ApogeeCpuBackend);
    const a = tf.randomNormal([64, 64], 0, 1, 'float32', 1);
    const b = tf.randomNormal([64, 64], 0, 1, 'float32', 2);
    const c = tf.matMul(a, b);
    const cValues = backend.data.get(c.dataId)!.values;
    expect(backend.pool.owns(cValues)).toBe(true);
    c.dispose();
    const d = tf.matMul(b, a); // same length: the freed array's memory is reused
    const dValues = backend.data.get(d.dataId)!.values as Float32Array;
    // The same array, or (the WebAssembly arena) a new view of the same memory.
    expect(dValues.buffer).toBe((cValues as Float32Array).buffer);
    expect(dValues.byteOffset).toBe((cValues as Float32Array).byteOffset);
    tf.dispose([a, b, d]);
  });

  it('dataSync/data return copies of pooled arrays: what a caller holds never changes under it', async () => {
    const a = tf.randomNormal([32, 16], 0, 1, 'float32', 3);
    const b = tf.randomNormal([16, 32], 0, 1, 'float32', 4);
    const c = tf.matMul(a, b);
    const held = c.dataSync() as Float32Array;
    const asyncHeld = (await c.data()) as Float32Array;
    const snapshot = Float32Array.from(held);
    held[0] = 12345; // writing into the copy does not reach the tensor
    expect(c.dataSync()[0]).toBe(snapshot[0]);
    c.dispose();
    // Reuse of c's buffer by later kernels leaves the caller's arrays alone.
    for (let i = 0; i < 3; i++) tf.matMul(tf.mul(a, i + 2), b).dispose();
    expect(Array.from(asyncHeld)).toEqual(Array.from(snapshot));
    tf.dispose([a, b]);
  });

  it('a slice that views a pooled buffer keeps it out of the pool after its source is disposed', () => {
    const a = tf.randomNormal([8, 128], 0, 1, 'float32', 5);
    const b = tf.randomNormal([128, 128], 0, 1, 'float32', 6);
    const c = tf.matMul(a, b); // pooled output
    const row = tf.slice(c, [2, 0], [1, 128]); // the cpu slice kernel returns a subarray view
    const want = Array.from(row.dataSync());
    c.dispose();
    for (let i = 0; i < 4; i++) tf.matMul(tf.mul(a, i + 3), b).dispose(); // would overwrite a reused buffer
    expect(Array.from(row.dataSync())).toEqual(want);
    tf.dispose([a, b, row]);
  });
});
