import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, definePlugin, ERROR_CODES, token, TOKENS, type PolicyFactory, type PolicyModel, type Tokenizer } from '@apogee/core';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { CausalLmPolicy } from './causal-lm-policy';
import { LLAMA_PRESETS, llamaConfig, type LlamaConfig, type LlamaPresetName } from './llama/config';
import { LlamaPolicy } from './llama/llama-policy';
import { LORA_TARGETS, loraConfig, type LoraConfig } from './llama/lora';

/** Options of the `hfPolicy` plugin. */
export interface HfPolicyOptions {
  /**
   * A local Hugging Face model directory (`config.json` with `model_type` gpt2, llama, qwen2 or
   * mistral; `model.safetensors` or shards; a tokenizer): `create` loads it as π₀. Without it,
   * `create` initialises a Llama-family model of `preset` from the seed.
   */
  path?: string;
  /** Shape of a freshly initialised model when there is no `path` (default `llama-tiny`); `vocabSize` comes from the tokenizer. */
  preset: LlamaPresetName;
  /** Overrides of the preset's fields (random init only). */
  config: Partial<Omit<LlamaConfig, 'vocabSize'>>;
  /** Rows decoded together by `generate` (default 64). */
  generateBatchSize: number;
  /** Rows per forward pass in `logProbs` (default 32). */
  logProbBatchSize: number;
  /** Largest weight file `save` writes before sharding (bytes; default 5 GB, Hugging Face's). */
  maxShardBytes: number;
  /**
   * Train a LoRA adapter instead of every weight (Hu et al. 2021): `r` required; `alpha` (default
   * 2r), `dropout` (0) and `targetModules` (q/k/v/o_proj) as in PEFT. The DPO reference then shares
   * the base weights. Llama-family models only.
   */
  lora?: Partial<LoraConfig> & { r: number };
}

export const HF_POLICY_OPTIONS = token<HfPolicyOptions>('@apogee/policy', 'HfPolicyOptions');

const schema = z.object({
  path: z.string().min(1).optional(),
  preset: z.enum(Object.keys(LLAMA_PRESETS) as [LlamaPresetName, ...LlamaPresetName[]]),
  config: z
    .object({
      blockSize: z.number().int().positive(),
      nLayer: z.number().int().positive(),
      nHead: z.number().int().positive(),
      nKvHead: z.number().int().positive(),
      nEmbd: z.number().int().positive(),
      headDim: z.number().int().positive(),
      intermediateSize: z.number().int().positive(),
      rmsNormEps: z.number().positive(),
      ropeTheta: z.number().positive(),
      tieWordEmbeddings: z.boolean(),
      dropout: z.number().min(0).lt(1),
    })
    .partial()
    .strict(),
  generateBatchSize: z.number().int().positive(),
  logProbBatchSize: z.number().int().positive(),
  maxShardBytes: z.number().int().positive(),
  lora: z
    .object({
      r: z.number().int().positive(),
      alpha: z.number().positive().optional(),
      dropout: z.number().min(0).lt(1).optional(),
      targetModules: z.array(z.enum(LORA_TARGETS)).min(1).optional(),
    })
    .strict()
    .optional(),
}).strict() as z.ZodType<HfPolicyOptions>;

/** Loads Hugging Face checkpoints (any supported architecture) or creates Llama-family policies. */
@injectable()
export class HfPolicyFactory implements PolicyFactory {
  constructor(@inject(HF_POLICY_OPTIONS) private readonly options: HfPolicyOptions) {}

  /**
   * π₀: the checkpoint at `path` (its weights; the run's tokenizer must have no more ids than its
   * vocabulary), or a fresh Llama-family model of the preset shape from `seed`.
   */
  async create(options: { tokenizer: Tokenizer; seed: number }): Promise<PolicyModel> {
    if (this.options.path) {
      const dir = this.options.path;
      if (!fs.existsSync(path.join(dir, 'config.json'))) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `hf-policy: path "${dir}" has no config.json.`, {
          hint: 'Point path at a local Hugging Face model directory (config.json, model.safetensors or shards, tokenizer.json).',
        });
      }
      const lora = this.options.lora ? loraConfig(this.options.lora) : undefined;
      return CausalLmPolicy.load(dir, { ...this.runtime(), tokenizer: options.tokenizer, lora, loraSeed: options.seed });
    }
    const config = llamaConfig(this.options.preset, { ...this.options.config, vocabSize: options.tokenizer.vocabSize });
    const policy = LlamaPolicy.create(config, options.tokenizer, options.seed, this.runtime());
    if (this.options.lora) policy.addAdapter(this.options.lora, options.seed);
    return policy;
  }

  async load(dir: string): Promise<PolicyModel> {
    return CausalLmPolicy.load(dir, this.runtime());
  }

  private runtime() {
    return { generateBatchSize: this.options.generateBatchSize, logProbBatchSize: this.options.logProbBatchSize, maxShardBytes: this.options.maxShardBytes };
  }
}

/**
 * Registers an `HfPolicyFactory` as `TOKENS.PolicyFactory`: `hfPolicy({ path: './SmolLM2-135M' })`
 * plays the game with a local Hub checkpoint; `hfPolicy({ preset: 'llama-tiny' })` with a random one.
 */
export const hfPolicy = definePlugin<HfPolicyOptions>('hf-policy', {
  provides: [TOKENS.PolicyFactory],
  defaults: { preset: 'llama-tiny', config: {}, generateBatchSize: 64, logProbBatchSize: 32, maxShardBytes: 5e9 },
  schema,
  register(container, options) {
    container.register(HF_POLICY_OPTIONS, { useValue: options });
    container.register(TOKENS.PolicyFactory, { useClass: HfPolicyFactory });
  },
});
