import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import type { ItemKind } from './records';
import type { LossOutput, SequenceLogProbs } from './training';

/**
 * Input of a reward-model loss: RM outputs for a batch of items padded to k responses each.
 * Padded slots carry score −1 and are masked (APO reference, `docs/concepts/apo.md` §3).
 */
export interface RewardLossInput {
  /** [items, k] RM outputs z. */
  rewards: Tensor2D;
  /** Label scores per item, padded with −1 to length k. */
  scores: number[][];
  /** Kind per item: human pairs or golden-vs-sample (APO) items. */
  kinds: ItemKind[];
}

/** A reward-model loss: Bradley–Terry ranking, the APO RM loss, … */
export interface RewardLoss {
  readonly name: string;
  compute(input: RewardLossInput): LossOutput;
}

/** Input of a policy loss on preference pairs (DPO family). Sequence log-prob sums, [pairs] each. */
export interface PairwisePolicyLossInput {
  policyChosen: Tensor1D;
  policyRejected: Tensor1D;
  referenceChosen: Tensor1D;
  referenceRejected: Tensor1D;
}

/** DPO, IPO, hinge, robust DPO, … */
export interface PairwisePolicyLoss {
  readonly name: string;
  compute(input: PairwisePolicyLossInput): LossOutput;
}

/** Input of a supervised (SFT / NLL on response tokens) loss. */
export interface SftLossInput {
  logProbs: SequenceLogProbs;
}

export interface SftLoss {
  readonly name: string;
  compute(input: SftLossInput): LossOutput;
}

/** Input of a ranking policy loss (RRHF): log-probs of items × k responses, flattened row-major. */
export interface RankingPolicyLossInput {
  /** [items·k] rows, item i's response j at row i·k + j. */
  logProbs: SequenceLogProbs;
  /** [items, k] reward scores of each response (higher = better). */
  scores: Tensor2D;
  /** Responses per item. */
  k: number;
}

export interface RankingPolicyLoss {
  readonly name: string;
  compute(input: RankingPolicyLossInput): LossOutput;
}
