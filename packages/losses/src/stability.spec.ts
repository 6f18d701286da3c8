// Numerical stability: every loss stays finite, in value and gradient, for logits of ±1e4, and the
// log-sigmoid losses keep their exact asymptotes (−log σ(x) → −x for x → −∞, → 0 for x → +∞).
import * as tf from '@tensorflow/tfjs-core';
import type { LossOutput } from '@apogee/core';
import { maskedSequenceLogProbs } from '@apogee/testing';
import { useCpuBackend } from '../test/tf-setup';
import { ApoRewardLoss } from './apo-reward-loss';
import { DpoLoss } from './dpo-loss';
import { logSigmoid } from './numerics';
import { BradleyTerryLoss } from './ranking-loss';
import { RrhfLoss } from './rrhf-loss';
import { SftNllLoss } from './sft-loss';

beforeAll(useCpuBackend);

/** Loss value and the gradient with respect to every param; all must be finite. */
function evaluate(f: (...xs: tf.Tensor[]) => LossOutput, params: tf.Tensor[]): { loss: number; grads: number[][]; metrics: number[] } {
  const out = tf.tidy(() => f(...params) as unknown as tf.TensorContainer) as unknown as LossOutput;
  const grads = tf.grads((...xs: tf.Tensor[]) => f(...xs).loss)(params);
  const result = {
    loss: out.loss.dataSync()[0],
    grads: grads.map((g) => Array.from(g.dataSync())),
    metrics: Object.values(out.metrics ?? {}).map((m) => m.dataSync()[0]),
  };
  tf.dispose([out.loss, ...Object.values(out.metrics ?? {}), ...grads, ...params]);
  expect(Number.isFinite(result.loss)).toBe(true);
  for (const g of result.grads) expect(g.every(Number.isFinite)).toBe(true);
  for (const m of result.metrics) expect(Number.isFinite(m)).toBe(true);
  return result;
}

describe('numerical stability for logits of ±1e4', () => {
  it('log σ via softplus is finite and exact at ±1e4 (value and gradient)', () => {
    const x = tf.tensor1d([-1e4, -100, 0, 100, 1e4]);
    const y = Array.from(logSigmoid(x).dataSync());
    expect(y[0]).toBe(-1e4);
    expect(y[1]).toBeCloseTo(-100, 4);
    expect(y[2]).toBeCloseTo(-Math.LN2, 6);
    expect(y[4]).toBe(-0);
    const g = Array.from(tf.grad((t: tf.Tensor) => tf.sum(logSigmoid(t)))(x).dataSync());
    expect(g[0]).toBeCloseTo(1, 6);
    expect(g[4]).toBeCloseTo(0, 6);
    expect(g.every(Number.isFinite)).toBe(true);
  });

  it.each([
    ['ranking', new BradleyTerryLoss({ lossType: 'ranking', centeringCoeff: 0 })],
    ['ranking + centring', new BradleyTerryLoss({ lossType: 'ranking', centeringCoeff: 0.5 })],
    ['diff', new BradleyTerryLoss({ lossType: 'diff', centeringCoeff: 0 })],
    ['apo', new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: 0.1, apoSampleNum: 4, apoLossType: 'ranking', centeringCoeff: 0 })],
  ])('reward loss %s', (_n, loss) => {
    // Item 1: the preferred response at −1e4 (loss ≈ 2e4); item 2 right by 2e4; item 3 padding 1e4.
    const r = evaluate(
      (z) => loss.compute({ rewards: z as tf.Tensor2D, scores: [[1, 0], [1, 0], [1, -1]], kinds: ['human', 'apo', 'human'] }),
      [tf.tensor2d([[-1e4, 1e4], [1e4, -1e4], [0, 1e4]])],
    );
    if (_n === 'ranking') {
      // (2·2e4 + 2·0) / 4 pairs = 1e4
      expect(r.loss).toBeCloseTo(1e4, 0);
      expect(r.grads[0]).toEqual([-0.5, 0.5, 0, 0, 0, 0]);
    }
  });

  it.each(['sigmoid', 'robust', 'ipo', 'hinge'] as const)('dpo %s', (lossType) => {
    const loss = new DpoLoss({ lossType, beta: 0.5, labelSmoothing: lossType === 'robust' || lossType === 'sigmoid' ? 0.1 : 0 });
    const r = evaluate(
      (pc, pr, rc, rr) => loss.compute({ policyChosen: pc as tf.Tensor1D, policyRejected: pr as tf.Tensor1D, referenceChosen: rc as tf.Tensor1D, referenceRejected: rr as tf.Tensor1D }),
      [tf.tensor1d([-1e4, 1e4, 0]), tf.tensor1d([1e4, -1e4, 0]), tf.tensor1d([1e4, -1e4, 1e4]), tf.tensor1d([-1e4, 1e4, -1e4])],
    );
    expect(r.loss).toBeGreaterThanOrEqual(lossType === 'robust' ? -Infinity : 0);
  });

  it('plain DPO at βh = −2e4 is 2e4 (no overflow to Infinity), at +2e4 is 0', () => {
    const loss = new DpoLoss({ lossType: 'sigmoid', beta: 1, labelSmoothing: 0 });
    const zero = tf.tensor1d([0]);
    const lo = loss.compute({ policyChosen: tf.tensor1d([-1e4]), policyRejected: tf.tensor1d([1e4]), referenceChosen: zero, referenceRejected: zero });
    const hi = loss.compute({ policyChosen: tf.tensor1d([1e4]), policyRejected: tf.tensor1d([-1e4]), referenceChosen: zero, referenceRejected: zero });
    expect(lo.loss.dataSync()[0]).toBe(2e4);
    expect(hi.loss.dataSync()[0]).toBe(0);
  });

  it('sft and rrhf with token log-probs of −1e4', () => {
    const mask = [[1, 1, 0], [1, 1, 1], [0, 1, 1], [1, 0, 0]];
    const x = () => tf.tensor2d([[-1e4, -1, 5], [-1e4, -1e4, -1e4], [3, -0.5, -1e4], [-2, 7, 7]]);
    evaluate((t) => new SftNllLoss({ normalization: 'token' }).compute({ logProbs: maskedSequenceLogProbs(t as tf.Tensor2D, tf.tensor2d(mask)) }), [x()]);
    evaluate((t) => new SftNllLoss({ normalization: 'sequence' }).compute({ logProbs: maskedSequenceLogProbs(t as tf.Tensor2D, tf.tensor2d(mask)) }), [x()]);
    evaluate(
      (t) => new RrhfLoss({ rankingWeight: 100, lengthPenalty: 1, sftWeight: 1 }).compute({ logProbs: maskedSequenceLogProbs(t as tf.Tensor2D, tf.tensor2d(mask)), scores: tf.tensor2d([[1e4, -1e4], [0, 1]]), k: 2 }),
      [x()],
    );
  });
});
