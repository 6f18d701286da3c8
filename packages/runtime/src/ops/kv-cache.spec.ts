import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { activeSimd, setActiveSimd } from '../apogee-cpu-backend';
import { initBackend } from '../init-backend';
import { HostKvStore } from '../kernels/kv-cache';
import { KV_CACHE_ATTENTION, KvCache, kvCacheAttention } from './kv-cache';

beforeAll(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
});

/** Deterministic values in (−1, 1). */
function fill(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 2 - 1;
  }
  return out;
}

/**
 * Straightforward attention of every row over its own tokens: token t of row r attends to tokens
 * pad[r] … t (only itself when t < pad[r]); query head h uses key/value head ⌊h / groups⌋.
 */
function reference(q: Float32Array, k: Float32Array, v: Float32Array, R: number, T: number, H: number, Hkv: number, hd: number, pads: number[]): Float32Array {
  const out = new Float32Array(R * T * H * hd);
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / (H / Hkv));
        const lo = Math.min(pads[r], t);
        const s: number[] = [];
        for (let j = lo; j <= t; j++) {
          let dot = 0;
          for (let e = 0; e < hd; e++) dot += q[((r * T + t) * H + h) * hd + e] * k[((r * T + j) * Hkv + g) * hd + e];
          s.push(dot / Math.sqrt(hd));
        }
        const m = Math.max(...s);
        const p = s.map((x) => Math.exp(x - m));
        const z = p.reduce((a, b) => a + b, 0);
        for (let e = 0; e < hd; e++) {
          let acc = 0;
          for (let j = lo; j <= t; j++) acc += (p[j - lo] / z) * v[((r * T + j) * Hkv + g) * hd + e];
          out[((r * T + t) * H + h) * hd + e] = acc;
        }
      }
    }
  }
  return out;
}

/** Row-major [R, T, width] → the rows of tokens from..to−1: [R·(to−from), width]. */
function columns(x: Float32Array, R: number, T: number, width: number, from: number, to: number): tf.Tensor2D {
  const out = new Float32Array(R * (to - from) * width);
  for (let r = 0; r < R; r++) out.set(x.subarray((r * T + from) * width, (r * T + to) * width), r * (to - from) * width);
  return tf.tensor2d(out, [R * (to - from), width]);
}

/** A prefill of `split` tokens, then one token per call, in slots 2 and 0 of a 3-slot cache; the merged heads of every token. */
async function decode(H: number, Hkv: number, hd: number, split: number): Promise<{ got: Float32Array; want: Float32Array; copied: Float32Array; simdStore: boolean }> {
  const R = 2;
  const T = 6;
  const pads = [2, 0];
  const q = fill(R * T * H * hd, 1);
  const k = fill(R * T * Hkv * hd, 2);
  const v = fill(R * T * Hkv * hd, 3);
  const cache = new KvCache({ layers: 2, slots: 3, kvHeads: Hkv, headDim: hd, maxTime: T });
  const rows = { slots: Int32Array.from([2, 0]), pads: Int32Array.from(pads) };
  const got = new Float32Array(R * T * H * hd);
  const before = tf.memory().numTensors;
  for (let from = 0; from < T; from = from === 0 ? split : from + 1) {
    const to = from === 0 ? split : from + 1;
    const y = tf.tidy(() => kvCacheAttention(columns(q, R, T, H * hd, from, to), columns(k, R, T, Hkv * hd, from, to), columns(v, R, T, Hkv * hd, from, to), cache, { layer: 1, heads: H, rows, col: from }));
    const data = await y.data();
    y.dispose();
    for (let r = 0; r < R; r++) got.set(data.subarray(r * (to - from) * H * hd, (r + 1) * (to - from) * H * hd), (r * T + from) * H * hd);
  }
  // Slot 2 (row 0) copied to slot 1: attending from slot 1 with row 0's last query gives row 0's output.
  cache.copySlots([2], [1]);
  const last = tf.tidy(() =>
    kvCacheAttention(columns(q, R, T, H * hd, T - 1, T).slice([0, 0], [1, H * hd]), columns(k, R, T, Hkv * hd, T - 1, T).slice([0, 0], [1, Hkv * hd]), columns(v, R, T, Hkv * hd, T - 1, T).slice([0, 0], [1, Hkv * hd]), cache, {
      layer: 1,
      heads: H,
      rows: { slots: Int32Array.from([1]), pads: Int32Array.from([pads[0]]) },
      col: T - 1,
    }),
  );
  const copied = await last.data();
  last.dispose();
  const simdStore = cache.store instanceof HostKvStore && cache.store.simd !== null;
  cache.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return { got, want: reference(q, k, v, R, T, H, Hkv, hd, pads), copied: Float32Array.from(copied), simdStore };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('kvCacheAttention', () => {
  const shapes = [
    ['one key/value head per query head', 4, 4, 8],
    ['grouped-query attention (2 query heads per key/value head)', 4, 2, 8],
    ['grouped-query attention (3 query heads per key/value head)', 6, 2, 8],
  ] as const;
  const paths = [
    ['apogee-cpu, SIMD kernels', 'apogee-cpu', true],
    ['apogee-cpu, JS kernels', 'apogee-cpu', false],
    ['plain tfjs (cpu backend)', 'cpu', true],
  ] as const;
  for (const [shapeName, H, Hkv, hd] of shapes) {
    for (const [pathName, backend, simdOn] of paths) {
      it(`writes and attends like attention over the whole rows: ${shapeName}, ${pathName}`, async () => {
        const simd = activeSimd();
        if (!simdOn) setActiveSimd(null);
        await tf.setBackend(backend);
        try {
          expect(tf.getKernel(KV_CACHE_ATTENTION, backend) !== undefined).toBe(backend === 'apogee-cpu');
          const { got, want, copied, simdStore } = await decode(H, Hkv, hd, 3);
          // The SIMD kernel serves grouped-query attention too (as `groups` kernel rows per row).
          expect(simdStore).toBe(backend === 'apogee-cpu' && simdOn);
          expect(maxDiff(got, want)).toBeLessThan(1e-5);
          expect(maxDiff(copied, want.subarray(5 * H * hd, 6 * H * hd))).toBeLessThan(1e-5);
        } finally {
          setActiveSimd(simd);
          await tf.setBackend('apogee-cpu');
        }
      });
    }
  }

  it('names the problem with shapes that do not fit the cache', () => {
    const cache = new KvCache({ layers: 1, slots: 1, kvHeads: 2, headDim: 4, maxTime: 4 });
    const rows = { slots: Int32Array.from([0]), pads: Int32Array.from([0]) };
    const x = (w: number) => tf.zeros([1, w]) as tf.Tensor2D;
    expect(() => kvCacheAttention(x(12), x(8), x(8), cache, { layer: 0, heads: 3, rows, col: 0 })).toThrow(/3 query heads do not group over 2 key\/value heads/);
    expect(() => kvCacheAttention(x(8), x(8), x(8), cache, { layer: 0, heads: 2, rows, col: 4 })).toThrow(/columns 4…4 are outside the cache's 4/);
    expect(() => kvCacheAttention(x(8), x(8), x(8), cache, { layer: 1, heads: 2, rows, col: 0 })).toThrow(/layer 1 is outside the cache's 1/);
    expect(() => new KvCache({ layers: 1, slots: 0, kvHeads: 2, headDim: 4, maxTime: 4 })).toThrow(/slots must be an integer ≥ 1, got 0/);
    cache.dispose();
  });
});
