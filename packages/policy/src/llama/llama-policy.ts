import type { Tokenizer } from '@apogee/core';
import { CausalLmPolicy, type GptPolicyRuntimeOptions } from '../causal-lm-policy';
import type { LlamaConfig } from './config';
import { LlamaModel } from './llama-model';

/** A Llama-family policy (Llama, SmolLM2, TinyLlama, Qwen2, Mistral): a `CausalLmPolicy` on a `LlamaModel`. */
export class LlamaPolicy extends CausalLmPolicy<LlamaModel> {
  static override readonly family = 'llama' as const;

  /** A freshly initialised policy (Hugging Face's Llama init from `seed`). */
  static create(config: LlamaConfig, tokenizer: Tokenizer, seed: number, options: GptPolicyRuntimeOptions = {}): LlamaPolicy {
    return new LlamaPolicy(LlamaModel.create(config, seed), tokenizer, options);
  }
}
