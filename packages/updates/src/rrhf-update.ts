import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'tsyringe';
import {
  TOKENS,
  type PolicyUpdate,
  type PolicyUpdateContext,
  type PolicyUpdateResult,
  type RankingPolicyLoss,
  type ScoredSampleSet,
} from '@apogee/core';
import { RRHF_UPDATE_OPTIONS, nothingToTrain, type RrhfUpdateOptions } from './options';
import { trainUpdate } from './train-loop';

/**
 * RRHF as the policy's move (Yuan et al. 2023; docs/concepts/apo.md §5): per LLM query, all n scored
 * samples go through `TOKENS.RankingPolicyLoss` (e.g. `rrhfLoss`, which ranks them by RM score and
 * adds SFT on the best). Queries whose samples all have one score carry no ranking signal and are
 * still used for the SFT term. Metrics: the loss's, `queries`.
 */
@injectable()
export class RrhfUpdate implements PolicyUpdate {
  readonly name = 'rrhf';
  readonly needsSamples = true;

  constructor(
    @inject(RRHF_UPDATE_OPTIONS) readonly options: RrhfUpdateOptions,
    @inject(TOKENS.RankingPolicyLoss) private readonly loss: RankingPolicyLoss,
  ) {}

  async update(context: PolicyUpdateContext): Promise<PolicyUpdateResult> {
    const sets = context.scored.filter((s) => s.samples.length > 0);
    if (sets.length === 0) throw nothingToTrain(this.name, 'no query has samples');
    const k = sets[0].samples.length;
    const uneven = sets.find((s) => s.samples.length !== k);
    if (uneven) throw nothingToTrain(this.name, `query "${uneven.queryId}" has ${uneven.samples.length} samples, others ${k}`);
    return trainUpdate<ScoredSampleSet>(
      this.options,
      context,
      sets,
      (batch, forward) =>
        this.loss.compute({
          logProbs: forward.responseLogProbs(batch.flatMap((s) => s.samples.map((response) => ({ prompt: s.prompt, response })))),
          scores: tf.tensor2d(batch.map((s) => s.scores), [batch.length, k]),
          k,
        }),
      { queries: sets.length },
    );
  }
}
