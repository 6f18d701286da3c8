import { inject, injectable } from 'tsyringe';
import { bestSampleIndex, TOKENS, type PolicyUpdate, type PolicyUpdateContext, type PolicyUpdateResult, type SftLoss } from '@apogee/core';
import { RJS_OPTIONS, nothingToTrain, type RjsOptions } from './options';
import { bestSamples } from './select';
import { trainUpdate } from './train-loop';

/**
 * Rejection sampling (RJS; docs/concepts/apo.md §5, the APO reference's policy step): per LLM query keep
 * the highest-RM-scored non-empty sample and fine-tune on it with `TOKENS.SftLoss` (response
 * tokens only). Metrics: the loss's, `examples`, `best_score` (mean RM score of the kept samples).
 */
@injectable()
export class RjsUpdate implements PolicyUpdate {
  readonly name = 'rjs';
  readonly needsSamples = true;

  constructor(
    @inject(RJS_OPTIONS) readonly options: RjsOptions,
    @inject(TOKENS.SftLoss) private readonly loss: SftLoss,
  ) {}

  async update(context: PolicyUpdateContext): Promise<PolicyUpdateResult> {
    const examples = bestSamples(context.scored);
    if (examples.length === 0) throw nothingToTrain(this.name, 'every sample of every query is empty');
    const kept = context.scored.map((s) => bestSampleIndex(s)).map((b, i) => (b >= 0 ? context.scored[i].scores[b] : NaN)).filter((v) => !Number.isNaN(v));
    return trainUpdate(this.options, context, examples, (batch, forward) => this.loss.compute({ logProbs: forward.responseLogProbs(batch) }), {
      examples: examples.length,
      best_score: kept.reduce((a, b) => a + b, 0) / kept.length,
    });
  }
}
