import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { initBackend } from '../init-backend';
import { RMS_NORM, RMS_NORM_GRAD, ROTARY_EMBEDDING, rmsNorm, rotaryEmbedding } from './llama-fused';

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

  it('differentiates: one gradient kernel each on apogee-cpu, equal to the composite form\'s gradients and to finite differences', async () => {
    const w = fill(rows * d, 4);
    // loss = Σ w ⊙ rope(rmsNorm(x)); gradients for x and g.
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      try {
        const xt = tf.tensor2d(x, [rows, d]);
        const gt = tf.tensor1d(g);
        const ang = tf.tensor2d(angles, [rows, hd / 2]);
        const wt = tf.tensor2d(w, [rows, d]);
        // cos and sin made inside the forward, as the model's rope table: the forward's scope ends before the backward pass.
        const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(wt, rotaryEmbedding(rmsNorm(a as tf.Tensor2D, b, 1e-5), tf.cos(ang), tf.sin(ang), hd)));
        let out: { value: number; gx: Float32Array; gg: Float32Array } | undefined;
        const p = await tf.profile(() => {
          const { value, grads: [gx, gg] } = tf.valueAndGrads(loss)([xt, gt]);
          out = { value: value.dataSync()[0], gx: gx.dataSync() as Float32Array, gg: gg.dataSync() as Float32Array };
          tf.dispose([value, gx, gg]);
        });
        // Finite differences along x[0, 0] and g[3].
        const at = (xa: Float32Array, ga: Float32Array) => tf.tidy(() => loss(tf.tensor2d(xa, [rows, d]), tf.tensor1d(ga)).dataSync()[0]);
        const eps = 1e-2;
        const bump = (arr: Float32Array, i: number, by: number) => { const c = Float32Array.from(arr); c[i] += by; return c; };
        const fdX = (at(bump(x, 0, eps), g) - at(bump(x, 0, -eps), g)) / (2 * eps);
        const fdG = (at(x, bump(g, 3, eps)) - at(x, bump(g, 3, -eps))) / (2 * eps);
        tf.dispose([xt, gt, ang, wt]);
        return { ...out!, kernels: p.kernels.map((k) => k.name), fdX, fdG };
      } finally {
        await tf.setBackend('apogee-cpu');
      }
    };
    const fusedRun = await gradsOn('apogee-cpu');
    const composite = await gradsOn('cpu');
    expect(fusedRun.kernels).toEqual(expect.arrayContaining([RMS_NORM, RMS_NORM_GRAD, ROTARY_EMBEDDING]));
    expect(composite.kernels).not.toContain(RMS_NORM);
    expect(Math.abs(fusedRun.value - composite.value)).toBeLessThan(1e-4);
    expect(maxDiff(fusedRun.gx, composite.gx)).toBeLessThan(1e-4);
    expect(maxDiff(fusedRun.gg, composite.gg)).toBeLessThan(1e-4);
    for (const run of [fusedRun, composite]) {
      expect(Math.abs(run.gx[0] - run.fdX)).toBeLessThan(2e-2 * Math.max(1, Math.abs(run.fdX)));
      expect(Math.abs(run.gg[3] - run.fdG)).toBeLessThan(2e-2 * Math.max(1, Math.abs(run.fdG)));
    }
  });

  it('names the problem with shapes that do not fit', () => {
    const xt = tf.zeros([2, 12]) as tf.Tensor2D;
    expect(() => rmsNorm(xt, tf.ones([11]), 1e-5)).toThrow(/the gain has 11 elements, x's last axis 12/);
    expect(() => rotaryEmbedding(xt, tf.ones([2, 3]), tf.ones([2, 3]), 5)).toThrow(/not heads of an even headDim 5/);
    expect(() => rotaryEmbedding(xt, tf.ones([2, 2]), tf.ones([2, 3]), 6)).toThrow(/cos\/sin have 4\/6 values, expected 2·3/);
  });
});
