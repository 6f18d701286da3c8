import { ApogeeError, definePlugin, ERROR_CODES, token, TOKENS, type PolicyModel, type RewardFactory, type RewardModel } from '@apogee/core';
import { causalLmBackboneOf } from '@apogee/policy';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { CausalLmReward } from './causal-lm-reward';
import type { RewardPooling } from './pooling';

/** Options of the `gptReward` plugin. */
export interface GptRewardOptions {
  /**
   * Where the scalar reward r(x, y) is read (Ouyang et al. 2022 §3.5 / APO paper §3: a scalar head on
   * the LM): `last` (default, the APO reference: the last response token) or `mean` over response
   * tokens. See docs/decisions/0028-reward-readout-and-init.md.
   */
  pooling: RewardPooling;
  /** Append EOS to responses and read there (with `last`; Hugging Face `GPT2ForSequenceClassification` style). Default false: read the last response token. */
  appendEos: boolean;
  /** Rows per forward pass in `score` (default 32). */
  scoreBatchSize: number;
  /**
   * `copy` (default): the RM copies the policy's backbone and trains all of it. `shared`: with a
   * LoRA policy, the RM uses the policy's frozen base weights (no second copy) plus its own copy
   * of the adapter, trained with the head; other policies are refused.
   */
  backbone: 'copy' | 'shared';
}

export const GPT_REWARD_OPTIONS = token<GptRewardOptions>('@apogee/reward', 'GptRewardOptions');

const schema = z.object({
  pooling: z.enum(['last', 'mean']),
  appendEos: z.boolean(),
  scoreBatchSize: z.number().int().positive(),
  backbone: z.enum(['copy', 'shared']),
}).strict() as z.ZodType<GptRewardOptions>;

/** Builds reward models on a policy's backbone (GPT-2 or Llama-family) and loads reward checkpoints. */
@injectable()
export class GptRewardFactory implements RewardFactory {
  constructor(@inject(GPT_REWARD_OPTIONS) private readonly options: GptRewardOptions) {}

  /**
   * Copy the policy's backbone and add a fresh head from `seed`: the APO reference re-initialises
   * its RM from the base LM every round (`docs/concepts/apo.md` §3).
   */
  async fromPolicy(policy: PolicyModel, options: { seed: number }): Promise<RewardModel> {
    const source = causalLmBackboneOf(policy);
    if (!source) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'gptReward builds on a policy that lends its transformer (the CAUSAL_LM_BACKBONE capability of @apogee/policy); this one does not.', {
        hint: 'Use gptPolicy or hfPolicy as the policy plugin, or a reward plugin that matches your policy.',
      });
    }
    return CausalLmReward.fromBackbone(source.model, source.tokenizer, options.seed, this.options);
  }

  async load(dir: string): Promise<RewardModel> {
    return CausalLmReward.load(dir, { scoreBatchSize: this.options.scoreBatchSize });
  }
}

/** Registers a `GptRewardFactory` as `TOKENS.RewardFactory`: `gptReward({ pooling: 'last' })`. */
export const gptReward = definePlugin<GptRewardOptions>('gpt-reward', {
  provides: [TOKENS.RewardFactory],
  defaults: { pooling: 'last', appendEos: false, scoreBatchSize: 32, backbone: 'copy' },
  schema,
  register(container, options) {
    container.register(GPT_REWARD_OPTIONS, { useValue: options });
    container.register(TOKENS.RewardFactory, { useClass: GptRewardFactory });
  },
});
