import { definePlugin, token, TOKENS, type PolicyFactory, type PolicyModel, type Tokenizer } from '@apogee/core';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { gptConfig, GPT_PRESETS, type GptConfig, type GptPresetName } from './config';
import { GptPolicy } from './gpt-policy';

/** Options of the `gptPolicy` plugin. */
export interface GptPolicyOptions {
  /** Shape preset (default `tiny`); `vocabSize` always comes from the tokenizer. */
  preset: GptPresetName;
  /** Overrides of the preset's fields (e.g. `{ blockSize: 512, dropout: 0.1 }`). */
  config: Partial<Omit<GptConfig, 'vocabSize'>>;
  /** Rows decoded together by `generate` (default 64). */
  generateBatchSize: number;
  /** Rows per forward pass in `logProbs` (default 32). */
  logProbBatchSize: number;
}

export const GPT_POLICY_OPTIONS = token<GptPolicyOptions>('@apogee/policy', 'GptPolicyOptions');

const schema = z.object({
  preset: z.enum(Object.keys(GPT_PRESETS) as [GptPresetName, ...GptPresetName[]]),
  config: z
    .object({
      blockSize: z.number().int().positive(),
      nLayer: z.number().int().positive(),
      nHead: z.number().int().positive(),
      nEmbd: z.number().int().positive(),
      dropout: z.number().min(0).lt(1),
      layerNormEpsilon: z.number().positive(),
      activation: z.enum(['gelu_new', 'gelu']),
    })
    .partial()
    .strict(),
  generateBatchSize: z.number().int().positive(),
  logProbBatchSize: z.number().int().positive(),
}) as z.ZodType<GptPolicyOptions>;

/** Creates GPT policies of the configured shape and loads checkpoints. */
@injectable()
export class GptPolicyFactory implements PolicyFactory {
  constructor(@inject(GPT_POLICY_OPTIONS) private readonly options: GptPolicyOptions) {}

  async create(options: { tokenizer: Tokenizer; seed: number }): Promise<PolicyModel> {
    const config = gptConfig(this.options.preset, { ...this.options.config, vocabSize: options.tokenizer.vocabSize });
    return GptPolicy.create(config, options.tokenizer, options.seed, this.runtime());
  }

  async load(dir: string): Promise<PolicyModel> {
    return GptPolicy.load(dir, this.runtime());
  }

  private runtime() {
    return { generateBatchSize: this.options.generateBatchSize, logProbBatchSize: this.options.logProbBatchSize };
  }
}

/** Registers a `GptPolicyFactory` as `TOKENS.PolicyFactory`: `gptPolicy({ preset: 'small' })`. */
export const gptPolicy = definePlugin<GptPolicyOptions>('gpt-policy', {
  provides: [TOKENS.PolicyFactory],
  defaults: { preset: 'tiny', config: {}, generateBatchSize: 64, logProbBatchSize: 32 },
  schema,
  register(container, options) {
    container.register(GPT_POLICY_OPTIONS, { useValue: options });
    container.register(TOKENS.PolicyFactory, { useClass: GptPolicyFactory });
  },
});
