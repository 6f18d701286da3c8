import { inject, injectable } from 'tsyringe';
import { TOKENS, type PolicyUpdate, type PolicyUpdateContext, type PolicyUpdateResult, type SftLoss } from '@apogee/core';
import { GOLDEN_SFT_OPTIONS, nothingToTrain, type GoldenSftOptions } from './options';
import { trainUpdate } from './train-loop';

/**
 * Golden SFT (the paper's Golden-SFT baseline, docs/concepts/apo.md §5/§7): fine-tune the policy directly
 * on the golden answers with `TOKENS.SftLoss`; needs no samples and no RM scores. Metrics: the
 * loss's, `examples`.
 */
@injectable()
export class GoldenSftUpdate implements PolicyUpdate {
  readonly name = 'golden-sft';
  readonly needsSamples = false;

  constructor(
    @inject(GOLDEN_SFT_OPTIONS) readonly options: GoldenSftOptions,
    @inject(TOKENS.SftLoss) private readonly loss: SftLoss,
  ) {}

  async update(context: PolicyUpdateContext): Promise<PolicyUpdateResult> {
    const examples = context.golden
      .filter((g) => g.prompt !== undefined && g.golden.trim().length > 0)
      .map((g) => ({ prompt: g.prompt as string, response: g.golden }));
    if (examples.length === 0) throw nothingToTrain(this.name, 'there are no non-empty golden answers with prompts');
    return trainUpdate(this.options, context, examples, (batch, forward) => this.loss.compute({ logProbs: forward.responseLogProbs(batch) }), {
      examples: examples.length,
    });
  }
}
