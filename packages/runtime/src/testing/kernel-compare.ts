/**
 * Test helpers: run the same tfjs computation on the reference `cpu` backend and on
 * `apogee-cpu`, and compare every output within a stated tolerance.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@apogee/core';
import { quiet } from '../apogee-cpu-backend';

/**
 * Tolerance: |apogee − cpu| ≤ atol + rtol·|cpu| element-wise (NaN must match NaN, ±Infinity must
 * match exactly). The defaults cover float32 re-association (BLAS blocks sums differently).
 */
export interface Tolerance {
  rtol: number;
  atol: number;
}
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-5 };

export type Inputs = { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' | 'bool' }[];

export function randomInputs(rng: Rng, shapes: number[][], scale = 1): Inputs {
  return shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = rng.normal() * scale;
    return { shape, values };
  });
}

export interface Outcome {
  shape: number[];
  dtype: string;
  values: number[];
}

/** Runs `fn` on `backend` with fresh tensors made from `inputs`; returns plain data. */
export function runOn(backend: string, inputs: Inputs, fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Outcome[] {
  tf.setBackend(backend);
  quiet(tf.backend()); // no "install tfjs-node" notice from the reference cpu backend
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype ?? (i.values instanceof Int32Array ? 'int32' : 'float32')));
    const out = fn(...xs);
    const list = Array.isArray(out) ? out : [out];
    return list.map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) }));
  });
}

/** First mismatch between `got` and `want`, or null. */
export function mismatch(got: Outcome[], want: Outcome[], tol: Tolerance = DEFAULT_TOLERANCE): string | null {
  if (got.length !== want.length) return `${got.length} outputs, expected ${want.length}`;
  for (let o = 0; o < want.length; o++) {
    const g = got[o];
    const w = want[o];
    if (JSON.stringify(g.shape) !== JSON.stringify(w.shape)) return `output ${o}: shape [${g.shape}], expected [${w.shape}]`;
    if (g.dtype !== w.dtype) return `output ${o}: dtype ${g.dtype}, expected ${w.dtype}`;
    for (let i = 0; i < w.values.length; i++) {
      const a = g.values[i];
      const b = w.values[i];
      if (Number.isNaN(b) ? !Number.isNaN(a) : !Number.isFinite(b) ? a !== b : !(Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b))) {
        return `output ${o} [${w.shape}] element ${i}: ${a}, expected ${b} (rtol ${tol.rtol}, atol ${tol.atol})`;
      }
    }
  }
  return null;
}

/** Runs on cpu and apogee-cpu and throws with the first mismatch. */
export function expectSameAsCpu(
  inputs: Inputs, fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], tol: Tolerance = DEFAULT_TOLERANCE, label = '',
): Outcome[] {
  let want: Outcome[];
  try {
    want = runOn('cpu', inputs, fn);
  } catch (e) {
    // tfjs itself rejects this case (e.g. a gradient it does not support): apogee-cpu must
    // reject it with the same message.
    const message = (e as Error).message;
    let other: string | null = null;
    try {
      runOn('apogee-cpu', inputs, fn);
    } catch (e2) {
      other = (e2 as Error).message;
    }
    if (other !== message) throw new Error(`${label} cpu throws "${message}" but apogee-cpu ${other === null ? 'does not throw' : `throws "${other}"`}`);
    return [];
  }
  const got = runOn('apogee-cpu', inputs, fn);
  const problem = mismatch(got, want, tol);
  if (problem) throw new Error(`${label} apogee-cpu differs from cpu: ${problem}`);
  return got;
}
