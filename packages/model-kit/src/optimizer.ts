import * as tf from '@tensorflow/tfjs-core';
import { adamwUpdate, sumOfSquares } from '@apogee/runtime';
import { ApogeeError, ERROR_CODES, type LossOutput, type OptimizerConfig, type TrainStepResult } from '@apogee/core';

/** `OptimizerConfig` with every default filled in. */
export type ResolvedOptimizerConfig = Required<OptimizerConfig>;

/**
 * Defaults: AdamW's β1 0.9, β2 0.999, ε 1e-8 (Loshchilov & Hutter 2019; PyTorch's), no weight decay,
 * global-norm clipping at 1.0, no warm-up, linear decay (the APO reference) once `totalSteps` is known.
 */
export function resolveOptimizerConfig(config: OptimizerConfig): ResolvedOptimizerConfig {
  const c: ResolvedOptimizerConfig = {
    lr: config.lr,
    weightDecay: config.weightDecay ?? 0,
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.999,
    epsilon: config.epsilon ?? 1e-8,
    gradClip: config.gradClip ?? 1.0,
    warmupSteps: config.warmupSteps ?? 0,
    totalSteps: config.totalSteps ?? 0,
    schedule: config.schedule ?? 'linear',
    minLrRatio: config.minLrRatio ?? 0,
  };
  const problems: { path: string; message: string }[] = [];
  const check = (ok: boolean, path: keyof OptimizerConfig, message: string) => {
    if (!ok) problems.push({ path, message: `${message}, got ${JSON.stringify(c[path])}` });
  };
  check(Number.isFinite(c.lr) && c.lr >= 0, 'lr', 'must be a finite number ≥ 0');
  check(c.weightDecay >= 0, 'weightDecay', 'must be ≥ 0');
  check(c.beta1 >= 0 && c.beta1 < 1, 'beta1', 'must be in [0, 1)');
  check(c.beta2 >= 0 && c.beta2 < 1, 'beta2', 'must be in [0, 1)');
  check(c.epsilon > 0, 'epsilon', 'must be > 0');
  check(c.gradClip >= 0, 'gradClip', 'must be ≥ 0 (0 disables clipping)');
  check(Number.isInteger(c.warmupSteps) && c.warmupSteps >= 0, 'warmupSteps', 'must be an integer ≥ 0');
  check(Number.isInteger(c.totalSteps) && c.totalSteps >= 0, 'totalSteps', 'must be an integer ≥ 0 (0: no decay)');
  check(['constant', 'linear', 'cosine'].includes(c.schedule), 'schedule', 'must be "constant", "linear" or "cosine"');
  check(c.minLrRatio >= 0 && c.minLrRatio <= 1, 'minLrRatio', 'must be in [0, 1]');
  if (problems.length > 0) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'Optimizer config is invalid:', { problems });
  return c;
}

/**
 * Learning rate at 1-based optimizer step `step`: linear warm-up from 0 over `warmupSteps`, then
 * constant, linear or cosine decay to `minLrRatio·lr` at `totalSteps` (no decay when `totalSteps` is 0).
 */
export function learningRateAt(c: ResolvedOptimizerConfig, step: number): number {
  if (c.warmupSteps > 0 && step <= c.warmupSteps) return (c.lr * step) / c.warmupSteps;
  if (c.schedule === 'constant' || c.totalSteps <= c.warmupSteps) return c.lr;
  // Step is 1-based: the first step after warm-up trains at the full rate and the last scheduled
  // step (step = totalSteps) at lr / (totalSteps − warmupSteps), never 0, as Hugging Face's
  // linear/cosine schedules do with their 0-based step. A one-step schedule therefore still moves.
  const progress = Math.min(1, Math.max(0, (step - c.warmupSteps - 1) / (c.totalSteps - c.warmupSteps)));
  const shape = c.schedule === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return c.lr * (c.minLrRatio + (1 - c.minLrRatio) * shape);
}

/**
 * `@tensorflow/tfjs-core`'s CommonJS build registers no gradient functions; `initBackend()` from
 * `@apogee/runtime` (or importing `@tensorflow/tfjs`) does. Fail clearly instead of deep inside tfjs.
 */
function assertGradientsRegistered(): void {
  if (!tf.getGradient('Neg') || !tf.getGradient('BatchMatMul')) {
    throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, 'Training needs tfjs gradient functions, and none are registered.', {
      hint: "Call `await initBackend()` from @apogee/runtime once before training (or import '@tensorflow/tfjs').",
    });
  }
}

/** A non-trainable zero variable shaped like `v` (the temporary zeros tensor is freed). */
function zeroSlot(v: tf.Variable): tf.Variable {
  const zeros = tf.zerosLike(v);
  const slot = tf.variable(zeros, false);
  zeros.dispose();
  return slot;
}

/** A parameter the optimizer updates; `decay` says whether weight decay applies to it. */
export interface OptimizedParam {
  name: string;
  variable: tf.Variable;
  decay: boolean;
}

/**
 * AdamW (Loshchilov & Hutter 2019, Algorithm 2) with global-norm gradient clipping, written with tf
 * ops on the variables. Moments are `tf.Variable`s so they can be saved and restored for resume.
 * Weight decay applies to matrices and embeddings only, not to biases and LayerNorm gains
 * (GPT-2/nanoGPT practice; decision 0027).
 */
export class AdamWOptimizer {
  /** Optimizer steps taken so far. */
  step = 0;
  readonly config: ResolvedOptimizerConfig;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly byVariable = new Map<string, OptimizedParam>();

  constructor(
    config: OptimizerConfig,
    private readonly params: readonly OptimizedParam[],
  ) {
    this.config = resolveOptimizerConfig(config);
    for (const p of params) {
      this.byVariable.set(p.variable.name, p);
      this.m.set(p.name, zeroSlot(p.variable));
      this.v.set(p.name, zeroSlot(p.variable));
    }
  }

  /**
   * One training step: gradients of `compute()`'s loss with respect to the parameters, clipping,
   * the AdamW update. Every tensor the loss function makes is disposed; its metrics are read.
   */
  async trainStep(compute: () => LossOutput): Promise<TrainStepResult> {
    assertGradientsRegistered();
    let metricTensors: Record<string, tf.Scalar> = {};
    let computed: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      // In a tidy, so that a loss that throws (or is not connected to the parameters) leaves
      // nothing behind: tfjs releases a failed forward pass's tensors only inside a scope.
      computed = tf.tidy(() =>
        tf.variableGrads(() => {
          let out: LossOutput;
          try {
            out = compute();
          } catch (e) {
            releaseTape();
            throw e;
          }
          metricTensors = out.metrics ?? {};
          for (const t of Object.values(metricTensors)) tf.keep(t);
          return out.loss;
        }, this.params.map((p) => p.variable)),
      );
    } catch (e) {
      tf.dispose(Object.values(metricTensors));
      if (e instanceof Error && /Cannot find a connection between any variable and the result of the loss function/.test(e.message)) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Training step ${this.step + 1}: the loss does not depend on any trained parameter, so it has no gradient.`, {
          hint: 'Compute the loss inside the step from the forward it is given (forward.responseLogProbs(batch), forward.rewards(batch)), not from tensors made before the step or from a frozen copy.',
          cause: e,
        });
      }
      throw e;
    }
    const { value, grads } = computed;
    const metricNames = Object.keys(metricTensors);
    const metricValues = metricNames.map((k) => metricTensors[k]);
    try {
      // Squared global norm: one fused pass over all gradients on apogee-cpu (float64 sum).
      const sumSquares = sumOfSquares(Object.values(grads).filter((g): g is tf.Tensor => g !== null));
      const [lossValue, sq, ...metricNumbers] = await Promise.all([value, sumSquares, ...metricValues].map(async (t) => (await t.data())[0]));
      sumSquares.dispose();
      const gradNorm = Math.sqrt(sq);
      if (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm)) {
        throw new ApogeeError(ERROR_CODES.NON_FINITE, `Training step ${this.step + 1}: the ${Number.isFinite(lossValue) ? 'gradient norm' : 'loss'} is not finite (loss ${lossValue}, gradient norm ${gradNorm}); the parameters were not updated.`, {
          hint: 'Lower the learning rate, check the loss for log(0) or division by zero, or keep gradient clipping on.',
        });
      }
      this.step += 1;
      const lr = learningRateAt(this.config, this.step);
      const scale = this.config.gradClip > 0 && gradNorm > this.config.gradClip ? this.config.gradClip / (gradNorm + 1e-6) : 1;
      this.update(grads, lr, scale);
      const metrics: Record<string, number> = {};
      metricNames.forEach((k, i) => (metrics[k] = metricNumbers[i]));
      return { step: this.step, loss: lossValue, gradNorm, lr, metrics };
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g?.dispose();
      for (const t of metricValues) t.dispose();
    }
  }

  private update(grads: tf.NamedTensorMap, lr: number, scale: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    tf.tidy(() => {
      for (const [varName, grad] of Object.entries(grads)) {
        if (!grad) continue;
        const p = this.byVariable.get(varName);
        if (!p) continue;
        const m = this.m.get(p.name)!;
        const v = this.v.get(p.name)!;
        // θ ← θ·(1 − lr·λ) − lr · m̂ / (√v̂ + ε)   (decoupled decay, PyTorch's AdamW), one kernel on apogee-cpu.
        const next = adamwUpdate(p.variable, m, v, grad, { lr, beta1, beta2, epsilon, step: this.step, weightDecay: p.decay ? weightDecay : 0, gradScale: scale });
        p.variable.assign(next.param);
        m.assign(next.m);
        v.assign(next.v);
      }
    });
  }

  /** Moments as named tensors (`m.<param>`, `v.<param>`) for a checkpoint; not copies. */
  stateTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, t] of this.m) out.set(`m.${name}`, t);
    for (const [name, t] of this.v) out.set(`v.${name}`, t);
    return out;
  }

  /** Restore moments saved by `stateTensors` and the step count; `problem` names what is wrong. */
  restore(step: number, tensors: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, where: string): void {
    for (const kind of ['m', 'v'] as const) {
      const slots = kind === 'm' ? this.m : this.v;
      for (const [name, slot] of slots) {
        const t = tensors.get(`${kind}.${name}`);
        if (!t) throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${where}: optimizer state "${kind}.${name}" is missing.`);
        if (t.shape.join(',') !== slot.shape.join(',')) {
          throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${where}: optimizer state "${kind}.${name}" has shape [${t.shape}], expected [${slot.shape}].`);
        }
      }
    }
    for (const kind of ['m', 'v'] as const) {
      const slots = kind === 'm' ? this.m : this.v;
      for (const [name, slot] of slots) {
        const t = tensors.get(`${kind}.${name}`)!;
        tf.tidy(() => slot.assign(tf.tensor(Float32Array.from(t.data), t.shape, 'float32')));
      }
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Dispose the tensors the gradient tape saved for a backward pass that will never run (the loss
 * threw mid-forward). tfjs frees them only after a completed backward pass, so without this every
 * failed step leaks its saved activations. Uses the engine's tape (`state.activeTape`), present
 * in tfjs-core 4.x; a no-op when absent or when gradients are nested (the outer tape owns them).
 */
function releaseTape(): void {
  const state = (tf.engine() as unknown as { state?: { activeTape?: Array<{ saved?: tf.Tensor[] }>; gradientDepth?: number } }).state;
  if (!state?.activeTape || state.gradientDepth !== 1) return;
  for (const node of state.activeTape) {
    for (const t of node.saved ?? []) if (!t.isDisposed) t.dispose();
    node.saved = [];
  }
}
