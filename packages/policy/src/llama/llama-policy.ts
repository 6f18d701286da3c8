import { ApogeeError, ERROR_CODES, type Tokenizer } from '@apogee/core';
import { CausalLmPolicy, type GptPolicyRuntimeOptions } from '../causal-lm-policy';
import type { LlamaConfig } from './config';
import { LlamaModel } from './llama-model';
import { loraConfig, type LoraAdapter, type LoraConfig } from './lora';
import { writeAdapter } from './lora-files';

/** A Llama-family policy (Llama, SmolLM2, TinyLlama, Qwen2, Mistral): a `CausalLmPolicy` on a `LlamaModel`. */
export class LlamaPolicy extends CausalLmPolicy<LlamaModel> {
  static override readonly family = 'llama' as const;

  /** A freshly initialised policy (Hugging Face's Llama init from `seed`). */
  static create(config: LlamaConfig, tokenizer: Tokenizer, seed: number, options: GptPolicyRuntimeOptions = {}): LlamaPolicy {
    return new LlamaPolicy(LlamaModel.create(config, seed), tokenizer, options);
  }

  /**
   * Attach a fresh LoRA adapter (`r` required; α defaults to 2r, dropout to 0, targets to the
   * attention projections): from now on `trainStep` updates the adapter only. Call
   * `setOptimizer` after this, as the parameters it optimizes changed.
   */
  addAdapter(lora: Partial<LoraConfig> & { r: number }, seed: number): LoraAdapter {
    return this.model.addAdapter(loraConfig(lora), seed);
  }

  /**
   * A frozen policy on the same base weights without the adapter (nothing copied): the DPO
   * reference of a LoRA policy whose reference is the model before adaptation (π₀).
   */
  withoutAdapter(): LlamaPolicy {
    const base = this.model.withoutAdapter();
    return new LlamaPolicy(base, this.tokenizer, this.options, this.extras);
  }

  /** A new policy whose weights are the adapter merged into the base (PEFT's `merge_and_unload`). */
  mergeAdapter(): LlamaPolicy {
    return new LlamaPolicy(this.model.mergeAdapter(), this.tokenizer, this.options, this.extras);
  }

  /** Write only the adapter, as PEFT does (`adapter_config.json`, `adapter_model.safetensors`). */
  async saveAdapter(dir: string, baseModel = '.'): Promise<void> {
    if (!this.model.adapter) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'This policy has no LoRA adapter (addAdapter first).');
    await writeAdapter(dir, this.model.adapter, baseModel);
  }
}
