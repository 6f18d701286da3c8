import {
  ApogeeError,
  ERROR_CODES,
  type Generation,
  type LossOutput,
  type OptimizerConfig,
  type PolicyForward,
  type PolicyModel,
  type PromptResponse,
  type ResponseLogProbs,
  type SequenceLogProbs,
  type Tokenizer,
  type TrainStepResult,
} from '@apogee/core';
import { readCheckpoint, writeCheckpoint } from './checkpoint';
import type { GptConfig } from './config';
import { generate, type GptGenerateOptions } from './generate';
import { GptModel } from './gpt-model';
import { encodeRows, responseLogProbs, sequenceLogProbs } from './log-probs';
import { AdamWOptimizer } from './optimizer';

/** Batch sizes a policy uses when the caller gives none. */
export interface GptPolicyRuntimeOptions {
  /** Rows decoded together by `generate` (default 64). */
  generateBatchSize?: number;
  /** Rows per forward pass in `logProbs` (default 32). */
  logProbBatchSize?: number;
}

/**
 * The GPT-2-family policy: a `GptModel` backbone, its tokenizer, and an AdamW optimizer once
 * `setOptimizer` is called. Implements `PolicyModel` from `@apogee/core`.
 */
export class GptPolicy implements PolicyModel {
  private optimizer?: AdamWOptimizer;
  private disposed = false;

  constructor(
    readonly model: GptModel,
    readonly tokenizer: Tokenizer,
    readonly options: GptPolicyRuntimeOptions = {},
  ) {
    if (tokenizer.vocabSize > model.config.vocabSize) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `The tokenizer has ${tokenizer.vocabSize} ids but the model only ${model.config.vocabSize} (vocabSize).`);
    }
  }

  /** A freshly initialised policy (GPT-2 init from `seed`). */
  static create(config: GptConfig, tokenizer: Tokenizer, seed: number, options: GptPolicyRuntimeOptions = {}): GptPolicy {
    return new GptPolicy(GptModel.create(config, seed), tokenizer, options);
  }

  /**
   * Load a directory written by `save`, or a Hugging Face GPT-2 checkpoint directory
   * (`config.json`, `model.safetensors`, `tokenizer.json`). Optimizer state, when present, is
   * restored so training resumes where it stopped.
   */
  static async load(dir: string, options: GptPolicyRuntimeOptions & { tokenizer?: Tokenizer; trainable?: boolean } = {}): Promise<GptPolicy> {
    const ckpt = await readCheckpoint(dir, { tokenizer: options.tokenizer });
    const model = GptModel.fromTensors(ckpt.config, ckpt.tensors, `${dir}/model.safetensors`, { trainable: options.trainable });
    const policy = new GptPolicy(model, ckpt.tokenizer, options);
    if (ckpt.optimizer && options.trainable !== false) {
      policy.setOptimizer(ckpt.optimizer.config);
      policy.optimizer!.restore(ckpt.optimizer.step, ckpt.optimizer.tensors, `${dir}/optimizer.safetensors`);
    }
    return policy;
  }

  get config(): GptConfig {
    return this.model.config;
  }

  /** Whether `trainStep` may update the parameters (false for a frozen reference copy). */
  get trainable(): boolean {
    return this.model.weights.trainable;
  }

  /** Optimizer steps taken so far (0 before the first). */
  get step(): number {
    return this.optimizer?.step ?? 0;
  }

  async logProbs(batch: readonly PromptResponse[], options: { batchSize?: number } = {}): Promise<ResponseLogProbs> {
    this.assertLive();
    return responseLogProbs(this.model, this.tokenizer, batch, options.batchSize ?? this.options.logProbBatchSize ?? 32);
  }

  /**
   * `n` samples per prompt. Prompts longer than `blockSize − maxNewTokens` tokens are cut from the
   * left (the end of a dialogue matters most). Text is decoded without special tokens.
   */
  async generate(prompts: readonly string[], options: GptGenerateOptions): Promise<Generation[][]> {
    this.assertLive();
    return generate(this.model, this.tokenizer, prompts, options, this.options.generateBatchSize ?? 64);
  }

  /** Differentiable per-token log-probs (dropout on when the config has it): what train-step losses call. */
  responseLogProbs(batch: readonly PromptResponse[], train = false): SequenceLogProbs {
    return sequenceLogProbs(this.model, encodeRows(this.tokenizer, batch, this.config.blockSize), this.tokenizer.padId, train);
  }

  setOptimizer(config: OptimizerConfig): void {
    this.assertLive();
    if (!this.trainable) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'This policy is frozen (clone({ trainable: false })); it has no optimizer.');
    this.optimizer?.dispose();
    this.optimizer = new AdamWOptimizer(
      config,
      this.model.weights.entries().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 })),
    );
  }

  async trainStep(loss: (forward: PolicyForward) => LossOutput): Promise<TrainStepResult> {
    this.assertLive();
    if (!this.optimizer) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, this.trainable ? 'trainStep needs an optimizer: call setOptimizer({ lr, … }) first.' : 'This policy is frozen (clone({ trainable: false })); it cannot be trained.');
    }
    const forward: PolicyForward = { responseLogProbs: (batch) => this.responseLogProbs(batch, true) };
    return this.optimizer.trainStep(() => loss(forward));
  }

  /** An independent copy of the weights (no optimizer); `trainable: false` gives a frozen reference. */
  async clone(options: { trainable?: boolean } = {}): Promise<GptPolicy> {
    this.assertLive();
    return new GptPolicy(this.model.clone({ trainable: options.trainable ?? true }), this.tokenizer, this.options);
  }

  async save(dir: string): Promise<void> {
    this.assertLive();
    await writeCheckpoint(dir, {
      config: this.config,
      apogee: { kind: 'policy' },
      tensors: await this.model.toHost(),
      tokenizer: this.tokenizer,
      optimizer: this.optimizer,
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer?.dispose();
    this.model.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'This policy has been disposed.');
  }
}

