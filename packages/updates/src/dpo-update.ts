import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'tsyringe';
import {
  TOKENS,
  type PairwisePolicyLoss,
  type PolicyModel,
  type PolicyUpdate,
  type PolicyUpdateContext,
  type PolicyUpdateResult,
} from '@apogee/core';
import { DPO_UPDATE_OPTIONS, nothingToTrain, type DpoUpdateOptions } from './options';
import { preferencePairs } from './select';
import { trainUpdate } from './train-loop';

/**
 * DPO as the policy's move (Rafailov et al. 2023; docs/concepts/apo.md §5): pairs from the round's
 * RM-scored samples (`pairs`, default best ≻ worst), `TOKENS.PairwisePolicyLoss` (e.g.
 * `dpoLoss({ beta })`) on sequence log-prob sums of the policy and a frozen reference (`reference`:
 * π₀ or the policy at the start of the round). Reference log-probs are computed once per round.
 * Metrics: the loss's, `pairs`.
 */
@injectable()
export class DpoUpdate implements PolicyUpdate {
  readonly name = 'dpo';
  readonly needsSamples = true;

  constructor(
    @inject(DPO_UPDATE_OPTIONS) readonly options: DpoUpdateOptions,
    @inject(TOKENS.PairwisePolicyLoss) private readonly loss: PairwisePolicyLoss,
  ) {}

  async update(context: PolicyUpdateContext): Promise<PolicyUpdateResult> {
    const pairs = preferencePairs(context.scored, this.options.pairs);
    if (pairs.length === 0) throw nothingToTrain(this.name, 'no query has two samples with different RM scores');
    let owned: PolicyModel | undefined;
    const reference = this.options.reference === 'round-start' ? (owned = await context.policy.clone({ trainable: false })) : context.reference;
    try {
      const refChosen = await reference.logProbs(pairs.map((p) => ({ prompt: p.prompt, response: p.chosen })));
      const refRejected = await reference.logProbs(pairs.map((p) => ({ prompt: p.prompt, response: p.rejected })));
      const indices = pairs.map((_, i) => i);
      return await trainUpdate(
        this.options,
        context,
        indices,
        (batch, forward) => {
          const n = batch.length;
          const lp = forward.responseLogProbs([
            ...batch.map((i) => ({ prompt: pairs[i].prompt, response: pairs[i].chosen })),
            ...batch.map((i) => ({ prompt: pairs[i].prompt, response: pairs[i].rejected })),
          ]);
          return this.loss.compute({
            policyChosen: tf.slice(lp.sum, [0], [n]),
            policyRejected: tf.slice(lp.sum, [n], [n]),
            referenceChosen: tf.tensor1d(batch.map((i) => refChosen.sum[i])),
            referenceRejected: tf.tensor1d(batch.map((i) => refRejected.sum[i])),
          });
        },
        { pairs: pairs.length },
      );
    } finally {
      await owned?.dispose();
    }
  }
}
