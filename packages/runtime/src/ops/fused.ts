/**
 * Fused ops for the transformer step: one pass over the data where the composite form makes
 * 5–25 passes (and as many engine calls). On `apogee-cpu` they run as single kernels with a
 * single-kernel gradient; on any other backend they compute the same formula from tfjs ops, so
 * model code can call them unconditionally.
 *
 * - {@link geluTanh}: GPT-2's `gelu_new`, x·σ(2·√(2/π)·(x + 0.044715x³)) (Hendrycks & Gimpel 2016).
 * - {@link layerNorm}: LayerNorm over the last axis with gain and bias (Ba et al. 2016).
 * - {@link adamwUpdate}: one AdamW step for one parameter (Loshchilov & Hutter 2019).
 */
import * as tf from '@tensorflow/tfjs-core';

export const GELU_TANH = 'ApogeeGeluTanh';
export const GELU_TANH_GRAD = 'ApogeeGeluTanhGrad';
export const LAYER_NORM = 'ApogeeLayerNorm';
export const LAYER_NORM_GRAD = 'ApogeeLayerNormGrad';
export const ADAMW_UPDATE = 'ApogeeAdamWUpdate';

const C = 2 * Math.sqrt(2 / Math.PI);

function fast(kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernel, inputs as never, attrs as never) as unknown as tf.Tensor | tf.Tensor[];
}

/** GPT-2's tanh GELU, written as x·σ(2z) (= 0.5x(1 + tanh z)), elementwise. */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  if (!fast(GELU_TANH) || x.dtype !== 'float32') {
    return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), C)))) as T;
  }
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input]);
    return {
      value: run(GELU_TANH, { x: input }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(GELU_TANH_GRAD, { dy, x: saved[0] }) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/**
 * LayerNorm over the last axis: (x − mean)/√(var + ε)·gamma + beta, with the population
 * variance (as `tf.moments` and PyTorch's `nn.LayerNorm`).
 */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): T {
  if (!fast(LAYER_NORM) || x.dtype !== 'float32') {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
    }) as T;
  }
  const f = tf.customGrad(((input: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input, g]);
    return {
      value: run(LAYER_NORM, { x: input, gamma: g, beta: b }, { epsilon }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(LAYER_NORM_GRAD, { dy, x: saved[0], gamma: saved[1] }, { epsilon }) as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, gamma, beta) as T;
}

export interface AdamWUpdateOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step number (bias corrections 1 − β^step). */
  step: number;
  /** Decoupled weight decay λ; the parameter is scaled by 1 − lr·λ. 0 for none. */
  weightDecay: number;
  /** Gradient scale (global-norm clipping); 1 for none. */
  gradScale: number;
}

/**
 * One AdamW step, the form PyTorch's `AdamW` computes:
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ·(1 − lr·λ) − lr/(1−β1^t) · m / (√(v/(1−β2^t)) + ε),
 * with g the gradient times `gradScale`. Returns new tensors; the caller assigns them.
 */
export function adamwUpdate(
  param: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, o: AdamWUpdateOptions,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const c1 = 1 - o.beta1 ** o.step;
  const c2 = 1 - o.beta2 ** o.step;
  const decay = 1 - o.lr * o.weightDecay;
  if (fast(ADAMW_UPDATE) && [param, m, v, grad].every((t) => t.dtype === 'float32')) {
    const [p1, m1, v1] = run(ADAMW_UPDATE, { param, m, v, grad }, { lr: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, c1, c2, decay, scale: o.gradScale }) as tf.Tensor[];
    return { param: p1, m: m1, v: v1 };
  }
  return tf.tidy(() => {
    const g = o.gradScale === 1 ? grad : tf.mul(grad, o.gradScale);
    const m1 = tf.add(tf.mul(m, o.beta1), tf.mul(g, 1 - o.beta1));
    const v1 = tf.add(tf.mul(v, o.beta2), tf.mul(tf.square(g), 1 - o.beta2));
    const stepSize = tf.div(tf.mul(m1, o.lr / c1), tf.add(tf.sqrt(tf.div(v1, c2)), o.epsilon));
    const p1 = tf.sub(decay === 1 ? param : tf.mul(param, decay), stepSize);
    return { param: p1, m: m1, v: v1 };
  });
}
