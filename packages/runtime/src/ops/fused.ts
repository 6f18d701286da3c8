/**
 * Fused ops for the transformer step: one pass over the data where the composite form makes
 * 5–25 passes (and as many engine calls). On `apogee-cpu` they run as single kernels with a
 * single-kernel gradient; on any other backend they compute the same formula from tfjs ops, so
 * model code can call them unconditionally.
 *
 * - {@link geluTanh}: GPT-2's `gelu_new`, x·σ(2·√(2/π)·(x + 0.044715x³)) (Hendrycks & Gimpel 2016).
 * - {@link layerNorm}: LayerNorm over the last axis with gain and bias (Ba et al. 2016).
 * - {@link adamwUpdate}: one AdamW step for one parameter (Loshchilov & Hutter 2019).
 * - {@link scaledMaskedSoftmax}: softmax(scale·scores + mask), attention's probabilities
 *   (Vaswani et al. 2017, eq. 1, with an additive mask).
 * - {@link multiHeadAttention}: the heads of multi-head attention from a fused QKV projection
 *   (Vaswani et al. 2017, §3.2.2), merged back to [rows, d].
 * - {@link logSumExpRows}: log Σ_j exp(x[i, j]) per row, the normaliser of next-token log-probs.
 * - {@link sumOfSquares}: Σ x² over a list of tensors (the squared global norm for clipping).
 */
import * as tf from '@tensorflow/tfjs-core';

export const GELU_TANH = 'ApogeeGeluTanh';
export const GELU_TANH_GRAD = 'ApogeeGeluTanhGrad';
export const LAYER_NORM = 'ApogeeLayerNorm';
export const LAYER_NORM_GRAD = 'ApogeeLayerNormGrad';
export const ADAMW_UPDATE = 'ApogeeAdamWUpdate';
export const SCALED_MASKED_SOFTMAX = 'ApogeeScaledMaskedSoftmax';
export const MULTI_HEAD_ATTENTION = 'ApogeeMultiHeadAttention';
export const LOG_SUM_EXP_ROWS = 'ApogeeLogSumExpRows';
export const SUM_OF_SQUARES = 'ApogeeSumOfSquares';
export const LOG_SUM_EXP_ROWS_GRAD = 'ApogeeLogSumExpRowsGrad';
export const MULTI_HEAD_ATTENTION_GRAD = 'ApogeeMultiHeadAttentionGrad';
export const SCALED_MASKED_SOFTMAX_GRAD = 'ApogeeScaledMaskedSoftmaxGrad';

const C = 2 * Math.sqrt(2 / Math.PI);

function fast(kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

/** Whether a gradient tape records right now (inside `tf.grads`/`minimize`); true when unsure. */
function tapeOn(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return typeof engine.isTapeOn === 'function' ? engine.isTapeOn() : true;
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernel, inputs as never, attrs as never) as unknown as tf.Tensor | tf.Tensor[];
}

/** GPT-2's tanh GELU, written as x·σ(2z) (= 0.5x(1 + tanh z)), elementwise. */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  if (!fast(GELU_TANH) || x.dtype !== 'float32') {
    return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), C)))) as T;
  }
  if (!tapeOn()) return run(GELU_TANH, { x }) as T; // no gradient will be asked for (inference)
  // The forward also returns σ(2z); saved for the gradient (when a tape records), it spares the
  // backward pass an `exp` per element. Unsaved, the customGrad scope disposes it.
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, s] = run(GELU_TANH, { x: input }, { withSigmoid: 1 }) as tf.Tensor[];
    save([input, s]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(GELU_TANH_GRAD, { dy, x: saved[0], s: saved[1] }) as tf.Tensor,
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
  if (!tapeOn()) return run(LAYER_NORM, { x, gamma, beta }, { epsilon }) as T;
  // Under a tape the forward also returns each row's mean and 1/std, so the gradient skips them.
  const f = tf.customGrad(((input: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, stats] = run(LAYER_NORM, { x: input, gamma: g, beta: b }, { epsilon, withStats: 1 }) as tf.Tensor[];
    save([input, g, stats]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(LAYER_NORM_GRAD, { dy, x: saved[0], gamma: saved[1], stats: saved[2] }, { epsilon }) as tf.Tensor[],
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

/**
 * Attention probabilities softmax(scale·scores + bias) over the last axis, `bias` (an additive
 * mask: 0 where allowed, a large negative number where not) broadcast to `scores`' shape. On
 * apogee-cpu one kernel replaces the scale, add and softmax passes, and one kernel computes the
 * gradient (scale·p·(dy − Σ dy·p)) in place of tfjs's four; `bias` gets a gradient only when one
 * is asked for.
 */
export function scaledMaskedSoftmax<T extends tf.Tensor>(scores: T, bias: tf.Tensor, scale: number): T {
  const rank = scores.rank;
  const fits = rank >= 1 && bias.rank <= rank && bias.shape[bias.rank - 1] === scores.shape[rank - 1]
    && bias.shape.every((d, i) => d === 1 || d === scores.shape[rank - bias.rank + i]);
  if (!fast(SCALED_MASKED_SOFTMAX) || scores.dtype !== 'float32' || bias.dtype !== 'float32' || !fits) {
    return tf.tidy(() => tf.softmax(tf.add(tf.mul(scores, scale), bias))) as T;
  }
  return run(SCALED_MASKED_SOFTMAX, { scores, bias }, { scale }) as T;
}

/** The gradient of {@link scaledMaskedSoftmax}'s kernel, registered with it. */
export const scaledMaskedSoftmaxGradConfig: tf.GradConfig = {
  kernelName: SCALED_MASKED_SOFTMAX,
  inputsToSave: ['bias'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [bias, probs] = saved;
    const scale = (attrs as { scale: number }).scale;
    const g = dy as tf.Tensor;
    return {
      scores: () => run(SCALED_MASKED_SOFTMAX_GRAD, { dy: g, probs }, { scale }) as tf.Tensor,
      bias: () => tf.tidy(() => {
        // d/d(bias) is the gradient w.r.t. the softmax input, summed over the broadcast dims.
        const dz = run(SCALED_MASKED_SOFTMAX_GRAD, { dy: g, probs }, { scale: 1 }) as tf.Tensor;
        const lead = probs.rank - bias.rank;
        const axes: number[] = [];
        for (let i = 0; i < probs.rank; i++) if (i < lead || (bias.shape[i - lead] === 1 && probs.shape[i] !== 1)) axes.push(i);
        return tf.reshape(axes.length ? tf.sum(dz, axes, true) : dz, bias.shape);
      }),
    };
  },
};

export interface MultiHeadAttentionOptions {
  /** Batch size B: `qkv` has B·T rows, batch-major. */
  batch: number;
  /** Number of heads H; d = qkv.shape[1] / 3 must be divisible by it. */
  heads: number;
}

/**
 * Multi-head scaled dot-product attention from a fused projection: `qkv` is [B·T, 3d] with
 * columns [q | k | v] (GPT-2's `c_attn` layout), each split into H heads of d/H; `bias` is an
 * additive mask of shape [1|B, 1|H, T, T] (0 where allowed, −1e9 where not). Returns the heads
 * merged back to [B·T, d] (head h in columns h·d/H…), i.e. for each (b, h):
 * softmax(q kᵀ/√(d/H) + mask) · v.
 *
 * On apogee-cpu it is one kernel (2 sgemm calls per head reading q, k, v in place through their
 * leading dimension, the mask and softmax fused between them) with a one-kernel gradient
 * (4 sgemm calls per head); elsewhere, and for shapes it does not cover, the composite tfjs form.
 * The mask is treated as a constant: no gradient flows to `bias`.
 */
export function multiHeadAttention(qkv: tf.Tensor2D, bias: tf.Tensor, o: MultiHeadAttentionOptions): tf.Tensor2D {
  const [rows, d3] = qkv.shape;
  const d = d3 / 3;
  const hd = d / o.heads;
  if (!Number.isInteger(hd) || hd < 1 || !Number.isInteger(rows / o.batch)) {
    throw new Error(`multiHeadAttention: qkv [${qkv.shape}] does not split into batch ${o.batch} and ${o.heads} heads of q, k and v`);
  }
  const T = rows / o.batch;
  const scale = 1 / Math.sqrt(hd);
  const fits = bias.rank === 4 && bias.dtype === 'float32' && qkv.dtype === 'float32'
    && (bias.shape[0] === 1 || bias.shape[0] === o.batch) && (bias.shape[1] === 1 || bias.shape[1] === o.heads)
    && bias.shape[2] === T && bias.shape[3] === T;
  if (!fast(MULTI_HEAD_ATTENTION) || !fits) {
    return tf.tidy(() => {
      const [q, k, v] = tf.unstack(tf.transpose(tf.reshape(qkv, [o.batch, T, 3, o.heads, hd]), [2, 0, 3, 1, 4]));
      const probs = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), bias));
      return tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [rows, d]) as tf.Tensor2D;
    });
  }
  const attrs = { batch: o.batch, heads: o.heads, scale };
  if (!tapeOn()) return run(MULTI_HEAD_ATTENTION, { qkv, bias }, attrs) as tf.Tensor2D;
  // The mask enters through the closure (a constant), so the only gradient is d(qkv).
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, probs] = run(MULTI_HEAD_ATTENTION, { qkv: input, bias }, { ...attrs, saveProbs: 1 }) as tf.Tensor[];
    save([input, probs]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(MULTI_HEAD_ATTENTION_GRAD, { dy, qkv: saved[0], probs: saved[1] }, attrs) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(qkv) as tf.Tensor2D;
}

/**
 * log Σ_j exp(x[i, j]) for each row of a 2-D tensor (the log-partition of next-token logits),
 * stable for large logits. On apogee-cpu one kernel (max and exp-sum per row) with a one-kernel
 * gradient dy[i]·exp(x[i, j] − lse[i]); elsewhere the same from tfjs ops.
 */
export function logSumExpRows(x: tf.Tensor2D): tf.Tensor1D {
  if (!fast(LOG_SUM_EXP_ROWS) || x.dtype !== 'float32') {
    const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
      const max = tf.max(input, 1, true);
      const value = tf.add(tf.log(tf.sum(tf.exp(tf.sub(input, max)), 1)), tf.reshape(max, [-1]));
      save([input, value]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.expandDims(dy, 1), tf.exp(tf.sub(saved[0], tf.expandDims(saved[1], 1)))),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x) as tf.Tensor1D;
  }
  if (!tapeOn()) return run(LOG_SUM_EXP_ROWS, { x }) as tf.Tensor1D;
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const value = run(LOG_SUM_EXP_ROWS, { x: input }) as tf.Tensor;
    save([input, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(LOG_SUM_EXP_ROWS_GRAD, { dy, x: saved[0], lse: saved[1] }) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor1D;
}

/**
 * Σ x² over every element of every tensor in `xs` (float32 scalar): the squared global gradient
 * norm for clipping (Pascanu et al. 2013). On apogee-cpu one kernel reads every tensor once and
 * accumulates in float64, where the composite form makes a `Square` and a `Sum` per tensor (and
 * a full-size temporary each) and an `AddN`. Not differentiable on the fused path: under a
 * gradient tape the composite form runs.
 */
export function sumOfSquares(xs: readonly tf.Tensor[]): tf.Scalar {
  if (!fast(SUM_OF_SQUARES) || tapeOn() || xs.length === 0 || xs.some((x) => x.dtype !== 'float32')) {
    return tf.tidy(() => (xs.length === 0 ? tf.scalar(0) : tf.addN(xs.map((x) => tf.sum(tf.square(x)))))) as tf.Scalar;
  }
  return tf.engine().runKernel(SUM_OF_SQUARES, xs as unknown as tf.NamedTensorMap, {}) as tf.Scalar;
}
