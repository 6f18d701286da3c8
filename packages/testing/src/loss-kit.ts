import * as tf from '@tensorflow/tfjs-core';
import type { LossOutput, SequenceLogProbs } from '@apogee/core';

/** Anything with `compute(input) → LossOutput`: every apogee loss contract has this shape. */
export interface LossLike<I> {
  readonly name: string;
  compute(input: I): LossOutput;
}

/**
 * A sample input for the kit, split into differentiable leaves and a builder, so the kit can take
 * gradients with respect to the leaves (rewards, log-probs) and nothing else (masks, labels).
 */
export interface LossSample<I> {
  /** Fresh tensors for the differentiable leaves. */
  params: () => tf.Tensor[];
  /** The loss input built from the leaves (called inside the gradient tape). */
  build: (params: tf.Tensor[]) => I;
}

export interface DescribeLossOptions {
  /** Compare `tf.grads` with central differences (default true; turn off at kinks). */
  gradCheck?: boolean;
  /** Step of the central differences, float32 (default 1e-2). */
  epsilon?: number;
  /** Allowed |analytic − numeric| ≤ atol + rtol·|numeric| (defaults 2e-3, 2e-2). */
  atol?: number;
  rtol?: number;
  /** Title (default: the loss's name). */
  title?: string;
}

/**
 * `SequenceLogProbs` from per-token log-probs and a 0/1 response mask, as a policy would build it:
 * masked positions are zeroed, `sum` and `count` are row sums.
 */
export function maskedSequenceLogProbs(tokenLogProbs: tf.Tensor2D, mask: tf.Tensor2D): SequenceLogProbs {
  const masked = tf.mul(tokenLogProbs, mask) as tf.Tensor2D;
  return { tokenLogProbs: masked, mask, sum: tf.sum(masked, 1) as tf.Tensor1D, count: tf.sum(mask, 1) as tf.Tensor1D };
}

function read(out: LossOutput): { loss: number; metrics: Record<string, number> } {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(out.metrics ?? {})) metrics[k] = v.dataSync()[0];
  return { loss: out.loss.dataSync()[0], metrics };
}

/** compute() inside tf.tidy, so tensors the builder makes (masks, constants) are freed. */
function tidyCompute<I>(loss: LossLike<I>, sample: LossSample<I>, params: tf.Tensor[]): LossOutput {
  return tf.tidy(() => loss.compute(sample.build(params)) as unknown as tf.TensorContainer) as unknown as LossOutput;
}

function disposeOutput(out: LossOutput): void {
  out.loss.dispose();
  for (const v of Object.values(out.metrics ?? {})) v.dispose();
}

/** One coordinate where `tf.grads` and central differences disagree. */
export interface GradientMismatch {
  param: number;
  index: number;
  analytic: number;
  numeric: number;
}

/**
 * Compare `tf.grads` of the loss with central differences in float32 on up to 7 coordinates of
 * every differentiable input; returns the coordinates where `|analytic − numeric| > atol + rtol·|numeric|`.
 */
export function gradientMismatches<I>(loss: LossLike<I>, sample: LossSample<I>, options: DescribeLossOptions = {}): GradientMismatch[] {
  const eps = options.epsilon ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const f = (...xs: tf.Tensor[]): tf.Scalar => loss.compute(sample.build(xs)).loss;
  const params = sample.params();
  const grads = tf.grads(f)(params);
  const at = (values: Float32Array[]): number => {
    const y = tf.tidy(() => f(...values.map((v, i) => tf.tensor(v, params[i].shape))));
    const v = y.dataSync()[0];
    y.dispose();
    return v;
  };
  const base = params.map((p) => Float32Array.from(p.dataSync()));
  const out: GradientMismatch[] = [];
  params.forEach((_p, i) => {
    const g = grads[i].dataSync();
    const n = base[i].length;
    const picks = n <= 8 ? [...Array(n).keys()] : [...new Set([0, 1, Math.floor(n / 3), Math.floor(n / 2), Math.floor((2 * n) / 3), n - 2, n - 1])];
    for (const j of picks) {
      const plus = base.map((b) => b.slice());
      const minus = base.map((b) => b.slice());
      plus[i][j] += eps;
      minus[i][j] -= eps;
      const numeric = (at(plus) - at(minus)) / (2 * eps);
      if (!(Math.abs(g[j] - numeric) <= atol + rtol * Math.abs(numeric))) out.push({ param: i, index: j, analytic: g[j], numeric });
    }
  });
  tf.dispose([...grads, ...params]);
  return out;
}

/**
 * The conformance kit every loss runs (first- or third-party): a finite scalar loss and finite
 * scalar metrics, finite gradients that agree with central differences, no tensor leaks across
 * repeated calls, and the same numbers for the same input. Call it in a test file after setting
 * a tfjs backend.
 *
 * ```ts
 * describeLoss(() => new DpoLoss({ lossType: 'sigmoid', beta: 0.1, labelSmoothing: 0 }), {
 *   params: () => [tf.tensor1d([-3, -5]), tf.tensor1d([-4, -4])],
 *   build: ([c, r]) => ({ policyChosen: c, policyRejected: r, referenceChosen: tf.zerosLike(c), referenceRejected: tf.zerosLike(r) }),
 * });
 * ```
 */
export function describeLoss<I>(factory: () => LossLike<I>, sample: LossSample<I>, kit: DescribeLossOptions = {}): void {
  const title = kit.title ?? factory().name;
  const lossOf = (loss: LossLike<I>) => (...xs: tf.Tensor[]): tf.Scalar => loss.compute(sample.build(xs)).loss;

  describe(`loss conformance: ${title}`, () => {
    beforeAll(async () => {
      await tf.ready();
    });

    it('returns a finite scalar loss and finite scalar metrics', () => {
      const params = sample.params();
      const out = tidyCompute(factory(), sample, params);
      expect(out.loss.rank).toBe(0);
      const values = read(out);
      expect(Number.isFinite(values.loss)).toBe(true);
      for (const [name, m] of Object.entries(out.metrics ?? {})) {
        expect({ metric: name, rank: m.rank }).toEqual({ metric: name, rank: 0 });
        expect({ metric: name, finite: Number.isFinite(values.metrics[name]) }).toEqual({ metric: name, finite: true });
      }
      disposeOutput(out);
      tf.dispose(params);
    });

    it('has finite gradients with respect to every differentiable input, not all zero', () => {
      const params = sample.params();
      const grads = tf.grads(lossOf(factory()))(params);
      let nonZero = false;
      grads.forEach((g, i) => {
        expect(g.shape).toEqual(params[i].shape);
        const v = g.dataSync();
        expect({ param: i, finite: v.every(Number.isFinite) }).toEqual({ param: i, finite: true });
        if (v.some((x) => x !== 0)) nonZero = true;
      });
      expect(nonZero).toBe(true);
      tf.dispose([...grads, ...params]);
    });

    if (kit.gradCheck !== false) {
      it('gradients agree with central differences (float32)', () => {
        expect(gradientMismatches(factory(), sample, kit)).toEqual([]);
      });
    }

    it('leaks no tensors across repeated calls and gradient steps', () => {
      const params = sample.params();
      const loss = factory();
      const once = (): void => {
        disposeOutput(tidyCompute(loss, sample, params));
        tf.dispose(tf.grads(lossOf(loss))(params));
      };
      once();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) once();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(params);
    });

    it('is deterministic: the same input gives the same loss and metrics', () => {
      const params = sample.params();
      const a = tidyCompute(factory(), sample, params);
      const b = tidyCompute(factory(), sample, params);
      expect(read(b)).toEqual(read(a));
      disposeOutput(a);
      disposeOutput(b);
      tf.dispose(params);
    });
  });
}
