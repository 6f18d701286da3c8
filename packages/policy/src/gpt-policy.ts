import type { Tokenizer } from '@apogee/core';
import { CausalLmPolicy, type GptPolicyRuntimeOptions } from './causal-lm-policy';
import type { GptConfig } from './config';
import { GptModel } from './gpt-model';

/** The GPT-2-family policy: a `CausalLmPolicy` on a `GptModel`. `GptPolicy.load` reads GPT-2 checkpoints only. */
export class GptPolicy extends CausalLmPolicy<GptModel> {
  static override readonly family = 'gpt2' as const;

  /** A freshly initialised policy (GPT-2 init from `seed`). */
  static create(config: GptConfig, tokenizer: Tokenizer, seed: number, options: GptPolicyRuntimeOptions = {}): GptPolicy {
    return new GptPolicy(GptModel.create(config, seed), tokenizer, options);
  }
}
