import * as tf from '@tensorflow/tfjs-core';
import { geluTanh, layerNorm as fusedLayerNorm } from '@apogee/runtime';

/** What a forward pass needs besides the weights: training mode and the dropout seed stream. */
export interface ForwardContext {
  /** Dropout is applied only when training and `dropout > 0`. */
  train: boolean;
  dropout: number;
  /** Next seed for a dropout mask (from the model's `Rng`). */
  nextSeed: () => number;
  /** A low-rank adapter on some projections (LoRA), when one is attached and enabled. */
  adapter?: ProjectionAdapter;
}

/** What a forward pass asks of an adapter: which projections it covers and their adapted output. */
export interface ProjectionAdapter {
  covers(prefix: string): boolean;
  apply(prefix: string, x: tf.Tensor2D, y: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
}

export const EVAL_CONTEXT: ForwardContext = { train: false, dropout: 0, nextSeed: () => 0 };

/**
 * LayerNorm over the last axis (Ba et al. 2016) with gain `g` and bias `b`: one kernel (and one
 * gradient kernel) on apogee-cpu, tfjs ops elsewhere (`@apogee/runtime`'s fused op).
 */
export function layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor2D {
  return fusedLayerNorm(x, g, b, eps);
}

/** GPT-2's Conv1D: `x @ w + b` with `w` stored as [in, out]. One fused op. */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
}

/**
 * GELU (Hendrycks & Gimpel 2016). `gelu_new` is GPT-2's tanh approximation (`@apogee/runtime`'s
 * fused op: one kernel on apogee-cpu); `gelu` is the exact erf form.
 */
export function gelu(x: tf.Tensor2D, kind: 'gelu_new' | 'gelu'): tf.Tensor2D {
  if (kind === 'gelu') return tf.mul<tf.Tensor2D>(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  return geluTanh(x);
}

/** Inverted dropout, seeded; identity outside training. */
export function dropout<T extends tf.Tensor>(x: T, ctx: ForwardContext): T {
  if (!ctx.train || ctx.dropout <= 0) return x;
  return tf.dropout(x, ctx.dropout, undefined, ctx.nextSeed()) as T;
}
