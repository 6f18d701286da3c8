import * as tf from '@tensorflow/tfjs-core';
import { rotaryEmbedding } from '@apogee/runtime';
import type { LlamaConfig } from './config';

/**
 * Rotary frequencies θ^(−2i/headDim), i = 0 … headDim/2 − 1 (Su et al. 2021, "RoFormer", eq. 15),
 * stretched by `rope_scaling`: `linear` divides every frequency by `factor`; `llama3` divides the
 * low frequencies (wavelength above original context / lowFreqFactor) by `factor`, keeps the high
 * ones (wavelength below original context / highFreqFactor) and blends in between.
 */
export function ropeFrequencies(c: Pick<LlamaConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float32Array {
  const half = c.headDim / 2;
  const out = new Float32Array(half);
  const s = c.ropeScaling;
  for (let i = 0; i < half; i++) {
    let f = 1 / Math.pow(c.ropeTheta, (2 * i) / c.headDim);
    if (s?.type === 'linear') f /= s.factor;
    if (s?.type === 'llama3') {
      const wavelength = (2 * Math.PI) / f;
      const lowWavelength = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
      const highWavelength = s.originalMaxPositionEmbeddings / s.highFreqFactor;
      if (wavelength > lowWavelength) f /= s.factor;
      else if (wavelength >= highWavelength) {
        const smooth = (s.originalMaxPositionEmbeddings / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        f = (1 - smooth) * (f / s.factor) + smooth * f;
      }
    }
    out[i] = f;
  }
  return out;
}

/** cos and sin of position·frequency for each row: `[rows, headDim/2]`, the same for every head. */
export interface RopeTable {
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
}

/** The rotation angles of `positions` (`[rows]`, int32) for frequencies `freqs`. */
export function ropeTable(positions: tf.Tensor1D, freqs: Float32Array): RopeTable {
  return tf.tidy(() => {
    const angles = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [-1, 1]), tf.tensor2d(freqs, [1, freqs.length])) as tf.Tensor2D;
    return { cos: tf.cos(angles), sin: tf.sin(angles) };
  });
}

/**
 * Rotate each head of `x` (`[rows, heads·headDim]`) by its row's angles, pairing dimension i with
 * i + headDim/2 (the "rotate half" layout of Hugging Face checkpoints, whose q/k projections are
 * permuted for it): [x₁·cos − x₂·sin, x₂·cos + x₁·sin]. @apogee/runtime's op: one kernel and a
 * one-kernel gradient on apogee-cpu, tfjs ops elsewhere.
 */
export function applyRope(x: tf.Tensor2D, t: RopeTable, headDim: number): tf.Tensor2D {
  return rotaryEmbedding(x, t.cos, t.sin, headDim);
}
