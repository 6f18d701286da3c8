import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { createSimdKernels, loadSimdKernels, SimdKernels, SimdMemoryError, withSimd } from './simd';
import { initBackend } from '../init-backend';
import { activeSimd, setActiveSimd } from '../apogee-cpu-backend';
import { geluTanh, layerNorm } from '../ops/fused';

const loaded = loadSimdKernels();
const w = loaded.kernels as SimdKernels;

describe('WebAssembly SIMD kernels', () => {
  it('load on this engine (Node ≥ 16 has WebAssembly SIMD)', () => {
    expect(loaded.reason).toBeNull();
    expect(w).toBeInstanceOf(SimdKernels);
  });

  it('the committed module is what assembly/kernels.ts compiles to', () => {
    const root = path.resolve(__dirname, '..', '..');
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-wasm.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('APOGEE_SIMD=0 or enabled: false turns them off, with the reason', () => {
    expect(loadSimdKernels({ enabled: false })).toEqual({ kernels: null, reason: expect.stringContaining('simd option') });
    const saved = process.env.APOGEE_SIMD;
    process.env.APOGEE_SIMD = 'off';
    try {
      expect(loadSimdKernels().reason).toContain('APOGEE_SIMD');
    } finally {
      if (saved === undefined) delete process.env.APOGEE_SIMD;
      else process.env.APOGEE_SIMD = saved;
    }
  });

  it('blocks start above the module static data, are 16-byte aligned, and memory grows on demand', () => {
    const heap = w.k.heapBase();
    expect(heap).toBeGreaterThan(0);
    const a = w.begin();
    const p = a.alloc(3);
    expect(p).toBeGreaterThanOrEqual(heap);
    expect(p % 16).toBe(0);
    expect(a.alloc(1) - p).toBe(16);
    // ~1 M floats each: more than the first page; values survive the growth.
    const n = 1 << 20;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const xp = a.put(x);
    const out = a.alloc(n);
    expect(a.memoryBytes).toBeGreaterThanOrEqual(out + 4 * n);
    a.k.gelu(xp, out, 0, n);
    const y = a.read(out, n);
    expect(y[n - 1]).toBeCloseTo(x[n - 1] * 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x[n - 1] + 0.044715 * x[n - 1] ** 3))), 6);
    // The module's log tables are intact after a kernel wrote above them.
    const r = w.begin();
    const row = r.put(Float32Array.from([0, Math.log(3)]));
    const lse = r.alloc(1);
    r.k.logSumExpRows(row, lse, 1, 2);
    expect(r.read(lse, 1)[0]).toBeCloseTo(Math.log(4), 6);
  });

  it('exp: relative error < 3e-7 over the float32 range, 0 below e^x < FLT_MIN, +Inf above ~88.38, NaN stays NaN', () => {
    // logSumExpRowsGrad with dy = 1 and lse = 0 writes exp(x) for every element.
    const xs = [-1000, -1e9, -87.4, -87.3, -50, -10, -1, -1e-3, 0, 1e-3, 0.5, 1, 10, 50, 88, 88.37, 88.4, 1e9, NaN, -Infinity, Infinity];
    for (let v = -87; v <= 88; v += 0.173) xs.push(v);
    const a = w.begin();
    const x = a.put(Float32Array.from(xs));
    const one = a.put(new Float32Array(xs.length).fill(1));
    const zero = a.put(new Float32Array(xs.length));
    const out = a.alloc(xs.length);
    // rows = xs.length rows of 1 element: dy[r] = 1, lse[r] = 0.
    a.k.logSumExpRowsGrad(one, x, zero, out, xs.length, 1);
    const e = a.read(out, xs.length);
    xs.forEach((v, i) => {
      const x32 = Math.fround(v);
      if (Number.isNaN(x32)) expect(e[i]).toBeNaN();
      else if (x32 < -87.33654475) expect(e[i]).toBe(0);
      else if (x32 > 88.3762626647949) expect(e[i]).toBe(Infinity);
      else expect(Math.abs(e[i] - Math.exp(x32)) / Math.exp(x32)).toBeLessThan(3e-7);
    });
  });

  it('is deterministic: the same input gives the same bits', () => {
    const x = Float32Array.from({ length: 1037 }, (_, i) => Math.cos(i * 0.37) * 5);
    const run = () => {
      const a = w.begin();
      const xp = a.put(x);
      const out = a.alloc(x.length);
      const sig = a.alloc(x.length);
      a.k.gelu(xp, out, sig, x.length);
      return [a.read(out, x.length), a.read(sig, x.length)];
    };
    const [a1, s1] = run();
    const [a2, s2] = run();
    expect(Buffer.from(a1.buffer).equals(Buffer.from(a2.buffer))).toBe(true);
    expect(Buffer.from(s1.buffer).equals(Buffer.from(s2.buffer))).toBe(true);
  });

  it('column and row sums accumulate in float64', () => {
    // 1e8 + 1 + 1 + … in float32 would lose every 1.
    const rows = 1001;
    const x = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) x.set(r === 0 ? [1e8, 1, -1] : [1, 1, 0.5], 3 * r);
    const a = w.begin();
    const xp = a.put(x);
    const out = a.alloc(3);
    const acc = a.alloc(3, 8);
    a.k.columnSums(xp, out, acc, 1, rows, 3);
    expect(Array.from(a.read(out, 3))).toEqual([Math.fround(1e8 + 1000), 1001, Math.fround(-1 + 500)]);
    const rs = a.alloc(rows);
    a.k.rowSums(xp, rs, rows, 3);
    expect(a.read(rs, 2)[0]).toBe(1e8);
    expect(a.read(rs, 2)[1]).toBe(2.5);
  });

  it('a call that needs more memory than the kernels may hold runs the JS kernel instead, with the same values', async () => {
    await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
    const small = createSimdKernels({ maxBytes: 1 << 20 })!;
    expect(() => small.begin().alloc(1 << 20)).toThrow(SimdMemoryError);
    expect(withSimd(small, () => { throw new SimdMemoryError(1); }, () => 'js')).toBe('js');
    expect(() => withSimd(small, () => { throw new Error('a real failure'); }, () => 'js')).toThrow('a real failure');
    const x = tf.randomNormal([600, 512], 0, 2, 'float32', 7); // 1.2 MB in: more than 1 MiB
    const g = tf.randomNormal([512], 1, 0.1, 'float32', 8);
    const b = tf.randomNormal([512], 0, 0.1, 'float32', 9);
    const saved = activeSimd();
    const want = [geluTanh(x), layerNorm(x, g, b, 1e-5)].map((t) => Array.from(t.dataSync()));
    setActiveSimd(small);
    try {
      const got = [geluTanh(x), layerNorm(x, g, b, 1e-5)].map((t) => Array.from(t.dataSync()));
      for (let i = 0; i < 2; i++) for (let j = 0; j < want[i].length; j += 97) expect(Math.abs(got[i][j] - want[i][j])).toBeLessThan(1e-4 + 1e-4 * Math.abs(want[i][j]));
      expect(small.memoryBytes).toBeLessThanOrEqual(1 << 20);
      // A call that fits still runs on the small instance.
      geluTanh(tf.ones([64]));
      expect(small.memoryBytes).toBeGreaterThan(0);
    } finally {
      setActiveSimd(saved);
    }
  });
});
