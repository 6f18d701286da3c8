import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { initBackend } from '../init-backend';
import { RMS_NORM, ROTARY_EMBEDDING, rmsNorm, rotaryEmbedding } from './llama-fused';

beforeAll(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
});

/** Deterministic values in (−scale, scale). */
function fill(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = ((s / 2147483648) * 2 - 1) * scale;
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Straightforward RMSNorm and rotation in float64, from the formulas. */
function rmsReference(x: Float32Array, g: Float32Array, eps: number): Float64Array {
  const d = g.length;
  const out = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += d) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[o + i] ** 2;
    for (let i = 0; i < d; i++) out[o + i] = (x[o + i] / Math.sqrt(ss / d + eps)) * g[i];
  }
  return out;
}

function ropeReference(x: Float32Array, angles: Float32Array, rows: number, width: number, hd: number): Float64Array {
  const half = hd / 2;
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < width; h += hd) {
      for (let i = 0; i < half; i++) {
        const a = angles[r * half + i];
        const x1 = x[r * width + h + i];
        const x2 = x[r * width + h + half + i];
        out[r * width + h + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
        out[r * width + h + half + i] = x2 * Math.cos(a) + x1 * Math.sin(a);
      }
    }
  }
  return out;
}

/** The kernels a function ran (tf.profile), and its values. */
async function kernelsOf(f: () => tf.Tensor): Promise<{ names: string[]; values: Float32Array }> {
  let values: Float32Array = new Float32Array(0);
  const p = await tf.profile(() => {
    const y = f();
    values = y.dataSync() as Float32Array;
    y.dispose();
  });
  return { names: p.kernels.map((k) => k.name), values };
}

describe('Llama-family fused ops', () => {
  const rows = 5;
  const d = 24;
  const hd = 8;
  const x = fill(rows * d, 1, 3);
  const g = fill(d, 2);
  const angles = fill(rows * (hd / 2), 3, 40);
  const backends = [
    ['apogee-cpu (one kernel)', 'apogee-cpu'],
    ['plain tfjs (cpu backend)', 'cpu'],
  ] as const;

  for (const [name, backend] of backends) {
    it(`computes RMSNorm and the rotation from their formulas: ${name}`, async () => {
      await tf.setBackend(backend);
      try {
        const before = tf.memory().numTensors;
        const [xt, gt] = [tf.tensor2d(x, [rows, d]), tf.tensor1d(g)];
        const cos = tf.tensor2d(angles.map(Math.cos), [rows, hd / 2]);
        const sin = tf.tensor2d(angles.map(Math.sin), [rows, hd / 2]);
        const norm = await kernelsOf(() => rmsNorm(xt, gt, 1e-5));
        const rot = await kernelsOf(() => rotaryEmbedding(xt, cos, sin, hd));
        expect(maxDiff(norm.values, rmsReference(x, g, 1e-5))).toBeLessThan(2e-6);
        expect(maxDiff(rot.values, ropeReference(x, angles, rows, d, hd))).toBeLessThan(2e-6);
        // One kernel each on apogee-cpu; the composite (no fused kernel) on cpu.
        expect(norm.names.includes(RMS_NORM)).toBe(backend === 'apogee-cpu');
        expect(rot.names.includes(ROTARY_EMBEDDING)).toBe(backend === 'apogee-cpu');
        if (backend === 'apogee-cpu') {
          expect(norm.names).toEqual([RMS_NORM]);
          expect(rot.names).toEqual([ROTARY_EMBEDDING]);
        }
        tf.dispose([xt, gt, cos, sin]);
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        await tf.setBackend('apogee-cpu');
      }
    });
  }

  it('differentiates through the composite under a gradient tape, with the same values', async () => {
    const xt = tf.tensor2d(x, [rows, d]);
    const gt = tf.tensor1d(g);
    const cos = tf.tensor2d(angles.map(Math.cos), [rows, hd / 2]);
    const sin = tf.tensor2d(angles.map(Math.sin), [rows, hd / 2]);
    const w = tf.tensor2d(fill(rows * d, 4), [rows, d]);
    // loss = Σ w ⊙ rope(rmsNorm(x)); gradients for x and g.
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(w, rotaryEmbedding(rmsNorm(a as tf.Tensor2D, b, 1e-5), cos, sin, hd)));
    const inference = tf.tidy(() => loss(xt, gt).dataSync()[0]);
    const { value, grads: [gx, gg] } = tf.valueAndGrads(loss)([xt, gt]);
    // The same loss by finite differences along x[0, 0] and g[3].
    const eps = 1e-2;
    const bump = (arr: Float32Array, i: number, by: number) => { const c = Float32Array.from(arr); c[i] += by; return c; };
    const at = (xa: Float32Array, ga: Float32Array) => tf.tidy(() => loss(tf.tensor2d(xa, [rows, d]), tf.tensor1d(ga)).dataSync()[0]);
    const fdX = (at(bump(x, 0, eps), g) - at(bump(x, 0, -eps), g)) / (2 * eps);
    const fdG = (at(x, bump(g, 3, eps)) - at(x, bump(g, 3, -eps))) / (2 * eps);
    expect(Math.abs(value.dataSync()[0] - inference)).toBeLessThan(1e-4);
    expect(Math.abs(gx.dataSync()[0] - fdX)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fdX)));
    expect(Math.abs(gg.dataSync()[3] - fdG)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fdG)));
    tf.dispose([xt, gt, cos, sin, w, value, gx, gg]);
  });

  it('names the problem with shapes that do not fit', () => {
    const xt = tf.zeros([2, 12]) as tf.Tensor2D;
    expect(() => rmsNorm(xt, tf.ones([11]), 1e-5)).toThrow(/the gain has 11 elements, x's last axis 12/);
    expect(() => rotaryEmbedding(xt, tf.ones([2, 3]), tf.ones([2, 3]), 5)).toThrow(/not heads of an even headDim 5/);
    expect(() => rotaryEmbedding(xt, tf.ones([2, 2]), tf.ones([2, 3]), 6)).toThrow(/cos\/sin have 4\/6 values, expected 2·3/);
  });
});
