// The describeLoss conformance kit, run for every loss and loss type.
import * as tf from '@tensorflow/tfjs-core';
import type { PairwisePolicyLossInput, RankingPolicyLossInput, RewardLossInput, SftLossInput } from '@apogee/core';
import { describeLoss, maskedSequenceLogProbs, type LossSample } from '@apogee/testing';
import { useCpuBackend } from '../test/tf-setup';
import { ApoRewardLoss } from './apo-reward-loss';
import { DpoLoss } from './dpo-loss';
import { BradleyTerryLoss } from './ranking-loss';
import { RrhfLoss } from './rrhf-loss';
import { SftNllLoss } from './sft-loss';

beforeAll(useCpuBackend);

const rewardSample: LossSample<RewardLossInput> = {
  params: () => [tf.tensor2d([[0.4, -0.3, 1.1], [0.2, 0.9, 0.0], [-0.5, 0.6, 0.3]])],
  build: ([r]) => ({ rewards: r as tf.Tensor2D, scores: [[2, 0, 1], [1, 0, -1], [1, 0, -1]], kinds: ['human', 'apo', 'apo'] }),
};

const pairSample: LossSample<PairwisePolicyLossInput> = {
  params: () => [tf.tensor1d([-10.5, -20, -7]), tf.tensor1d([-11, -18.5, -9]), tf.tensor1d([-10, -21, -7.5]), tf.tensor1d([-12, -19, -8])],
  build: ([pc, pr, rc, rr]) => ({
    policyChosen: pc as tf.Tensor1D,
    policyRejected: pr as tf.Tensor1D,
    referenceChosen: rc as tf.Tensor1D,
    referenceRejected: rr as tf.Tensor1D,
  }),
};

const MASK = [[0, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1], [0, 1, 1, 0], [1, 0, 0, 0]];
const tokenLogProbs = (): tf.Tensor[] => [tf.tensor2d(MASK.map((row, b) => row.map((_, t) => -0.2 - 0.37 * ((b * 5 + t * 3) % 7))))];

const sftSample: LossSample<SftLossInput> = {
  params: tokenLogProbs,
  build: ([x]) => ({ logProbs: maskedSequenceLogProbs(x as tf.Tensor2D, tf.tensor2d(MASK)) }),
};

const rrhfSample: LossSample<RankingPolicyLossInput> = {
  params: tokenLogProbs,
  build: ([x]) => ({ logProbs: maskedSequenceLogProbs(x as tf.Tensor2D, tf.tensor2d(MASK)), scores: tf.tensor2d([[0.1, 0.7, -0.4], [1.2, 0.3, 0.9]]), k: 3 }),
};

describeLoss(() => new BradleyTerryLoss({ lossType: 'ranking', centeringCoeff: 0 }), rewardSample);
describeLoss(() => new BradleyTerryLoss({ lossType: 'diff', centeringCoeff: 0.1 }), rewardSample, { title: 'ranking-loss (diff, centring)' });
describeLoss(() => new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: 0.1, apoSampleNum: 4, apoLossType: 'ranking', centeringCoeff: 0.01 }), rewardSample);
for (const lossType of ['sigmoid', 'ipo', 'hinge', 'robust'] as const) {
  const labelSmoothing = lossType === 'sigmoid' || lossType === 'robust' ? 0.1 : 0;
  describeLoss(() => new DpoLoss({ lossType, beta: 0.2, labelSmoothing }), pairSample);
}
describeLoss(() => new SftNllLoss({ normalization: 'token' }), sftSample, { title: 'sft-loss (token)' });
describeLoss(() => new SftNllLoss({ normalization: 'sequence' }), sftSample, { title: 'sft-loss (sequence)' });
describeLoss(() => new RrhfLoss({ rankingWeight: 100, lengthPenalty: 1, sftWeight: 1 }), rrhfSample, { rtol: 3e-2 });
describeLoss(() => new RrhfLoss({ rankingWeight: 1, lengthPenalty: 0.5, sftWeight: 1 }), rrhfSample, { title: 'rrhf-loss (α 0.5)' });
