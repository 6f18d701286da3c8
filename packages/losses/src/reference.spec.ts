// Every loss against independent float64 PyTorch values (tools/losses-reference/generate.py):
// loss, metrics and gradients, on small inputs with masking, ties and padding.
import * as tf from '@tensorflow/tfjs-core';
import { useCpuBackend } from '../test/tf-setup';
import { rescaleItemScores, type ItemKind, type LossOutput } from '@apogee/core';
import { maskedSequenceLogProbs } from '@apogee/testing';
import reference from './__fixtures__/reference.json';
import { ApoRewardLoss } from './apo-reward-loss';
import { DpoLoss, type DpoLossOptions } from './dpo-loss';
import { BradleyTerryLoss } from './ranking-loss';
import { RrhfLoss } from './rrhf-loss';
import { SftNllLoss } from './sft-loss';

beforeAll(useCpuBackend);

interface Case {
  name: string;
  input: Record<string, unknown>;
  options: Record<string, unknown>;
  loss: number;
  metrics: Record<string, number>;
  grad: Record<string, number[] | number[][]>;
}

function close(actual: number, expected: number, what: string): void {
  const tol = 2e-5 + 2e-5 * Math.abs(expected);
  expect({ what, actual, ok: Math.abs(actual - expected) <= tol }).toEqual({ what, actual, ok: true });
}

function closeAll(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => close(actual[i], e, `${what}[${i}]`));
}

/** Compare value, metrics (all the reference reports) and gradients. */
function check(c: Case, f: (...xs: tf.Tensor[]) => LossOutput, params: tf.Tensor[], gradNames: string[]): void {
  const out = tf.tidy(() => f(...params) as unknown as tf.TensorContainer) as unknown as LossOutput;
  close(out.loss.dataSync()[0], c.loss, 'loss');
  for (const [k, v] of Object.entries(c.metrics)) {
    expect(out.metrics?.[k]).toBeDefined();
    close(out.metrics![k].dataSync()[0], v, `metric ${k}`);
  }
  const grads = tf.grads((...xs: tf.Tensor[]) => f(...xs).loss)(params);
  grads.forEach((g, i) => closeAll(g.dataSync(), (c.grad[gradNames[i]] as number[][]).flat(), `grad ${gradNames[i]}`));
  tf.dispose([out.loss, ...Object.values(out.metrics ?? {}), ...grads, ...params]);
}

describe('Bradley–Terry ranking loss matches the reference', () => {
  it.each((reference.ranking as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const loss = new BradleyTerryLoss({ lossType: c.options.variant as 'ranking' | 'diff', centeringCoeff: c.options.centeringCoeff as number });
    const { scores, kinds } = c.input as { scores: number[][]; kinds: ItemKind[] };
    check(c, (r) => loss.compute({ rewards: r as tf.Tensor2D, scores, kinds }), [tf.tensor2d(c.input.rewards as number[][])], ['rewards']);
  });

  it('one 2-response item gives exactly −log σ(z_good − z_bad)', () => {
    const loss = new BradleyTerryLoss({ lossType: 'ranking', centeringCoeff: 0 });
    const out = loss.compute({ rewards: tf.tensor2d([[1.25, -0.75]]), scores: [[1, 0]], kinds: ['human'] });
    expect(out.loss.dataSync()[0]).toBeCloseTo(Math.log1p(Math.exp(-2)), 6);
  });
});

describe('APO reward-model loss matches the reference', () => {
  it.each((reference.apo as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // The fixture's `variant` is the reference's apo_loss_type.
    const o = c.options as { rmKlCoeff: number; apoLossCoeff: number; apoSampleNum: number; variant: 'ranking' | 'diff' };
    const loss = new ApoRewardLoss({ rmKlCoeff: o.rmKlCoeff, apoLossCoeff: o.apoLossCoeff, apoSampleNum: o.apoSampleNum, apoLossType: o.variant, centeringCoeff: 0 });
    const { scores, kinds } = c.input as { scores: number[][]; kinds: ItemKind[] };
    check(c, (r) => loss.compute({ rewards: r as tf.Tensor2D, scores, kinds }), [tf.tensor2d(c.input.rewards as number[][])], ['rewards']);
  });
});

describe('raw label scores are rescaled per item before padding, as the reference', () => {
  // The game lays items out this way (layoutRewardBatch): rescale each item's raw scores to (0, 1),
  // then pad with −1. A negative raw score is a label; before, it was taken for padding (no pairs).
  it.each((reference.rawScores as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const loss = new BradleyTerryLoss({ lossType: 'ranking', centeringCoeff: 0 });
    const rewards = c.input.rewards as number[][];
    const k = rewards[0].length;
    const raw = c.input.rawScores as number[][];
    const scores = raw.map((r) => [...rescaleItemScores(r), ...new Array<number>(k - r.length).fill(-1)]);
    const kinds = raw.map((): ItemKind => 'human');
    check(c, (r) => loss.compute({ rewards: r as tf.Tensor2D, scores, kinds }), [tf.tensor2d(rewards)], ['rewards']);
  });
});

describe('DPO family matches the reference', () => {
  const names = ['policyChosen', 'policyRejected', 'referenceChosen', 'referenceRejected'] as const;
  it.each((reference.dpo as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { variant, beta, labelSmoothing } = c.options as { variant: DpoLossOptions['lossType']; beta: number; labelSmoothing: number };
    const loss = new DpoLoss({ lossType: variant, beta, labelSmoothing });
    check(
      c,
      (pc, pr, rc, rr) => loss.compute({ policyChosen: pc as tf.Tensor1D, policyRejected: pr as tf.Tensor1D, referenceChosen: rc as tf.Tensor1D, referenceRejected: rr as tf.Tensor1D }),
      names.map((n) => tf.tensor1d(c.input[n] as number[])),
      [...names],
    );
  });
});

describe('SFT loss matches the reference', () => {
  it.each((reference.sft as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const loss = new SftNllLoss({ normalization: c.options.normalization as 'token' | 'sequence' });
    const mask = c.input.mask as number[][];
    check(
      c,
      (x) => loss.compute({ logProbs: maskedSequenceLogProbs(x as tf.Tensor2D, tf.tensor2d(mask)) }),
      [tf.tensor2d(c.input.tokenLogProbs as number[][])],
      ['tokenLogProbs'],
    );
  });
});

describe('RRHF loss matches the reference', () => {
  it.each((reference.rrhf as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const loss = new RrhfLoss(c.options as { rankingWeight: number; lengthPenalty: number; sftWeight: number; sftNormalization: 'response' | 'paddedRow' });
    const { mask, scores, k } = c.input as { mask: number[][]; scores: number[][]; k: number };
    check(
      c,
      (x) => loss.compute({ logProbs: maskedSequenceLogProbs(x as tf.Tensor2D, tf.tensor2d(mask)), scores: tf.tensor2d(scores), k }),
      [tf.tensor2d(c.input.tokenLogProbs as number[][])],
      ['tokenLogProbs'],
    );
  });
});
