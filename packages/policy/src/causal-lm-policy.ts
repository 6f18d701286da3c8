import * as fs from 'node:fs';
import * as path from 'node:path';
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
import { AdamWOptimizer, writeCheckpoint, type GenerationDefaults } from '@apogee/model-kit';
import { modelFromTensors, readModelCheckpoint } from './architecture';
import type { LoraConfig } from './llama/lora';
import { hasAdapter, readAdapter, writeAdapter } from './llama/lora-files';
import type { LlamaModel } from './llama/llama-model';
import { CAUSAL_LM_BACKBONE, type CausalLmBackbone, type CausalLmBackboneSource } from './backbone';
import type { CausalLm } from './causal-lm';
import { generate, type GptGenerateOptions } from './generate';
import { encodeRows, responseLogProbs, sequenceLogProbs } from './log-probs';

/** Batch sizes a policy uses when the caller gives none. */
export interface GptPolicyRuntimeOptions {
  /** Rows decoded together by `generate` (default 64). */
  generateBatchSize?: number;
  /** Rows per forward pass in `logProbs` (default 32). */
  logProbBatchSize?: number;
  /** Largest weight file `save` writes before sharding (Hugging Face's `max_shard_size`; default 5 GB). */
  maxShardBytes?: number;
}

/** What `CausalLmPolicy.load` and `save` carry besides weights and tokenizer. */
export interface PolicyCheckpointExtras {
  /** `generation_config.json` of a Hub checkpoint: its eos ids end generation; written back on save. */
  generation?: GenerationDefaults;
}

/** The static side of a policy class: how `load` and `clone` build one. */
export interface PolicyClass<P extends CausalLmPolicy> {
  new (model: P['model'], tokenizer: Tokenizer, options?: GptPolicyRuntimeOptions, extras?: PolicyCheckpointExtras): P;
  /** The family the class reads (`load` refuses others); none: every family. */
  readonly family?: CausalLm['family'];
  readonly name: string;
}

/**
 * A causal-LM policy on any `CausalLm` backbone (GPT-2: `GptPolicy`; Llama, Qwen2, Mistral:
 * `LlamaPolicy`): its tokenizer, and an AdamW optimizer once `setOptimizer` is called. Implements
 * `PolicyModel` from `@apogee/core`.
 */
export class CausalLmPolicy<M extends CausalLm = CausalLm> implements PolicyModel, CausalLmBackboneSource {
  /** The family `load` reads; none: every supported family. */
  static readonly family?: CausalLm['family'];
  private optimizer?: AdamWOptimizer;
  private disposed = false;

  constructor(
    readonly model: M,
    readonly tokenizer: Tokenizer,
    readonly options: GptPolicyRuntimeOptions = {},
    readonly extras: PolicyCheckpointExtras = {},
  ) {
    if (tokenizer.vocabSize > model.config.vocabSize) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `The tokenizer has ${tokenizer.vocabSize} ids but the model only ${model.config.vocabSize} (vocabSize).`);
    }
  }

  /**
   * Load a directory written by `save`, or a Hugging Face checkpoint directory of a supported
   * architecture (`config.json`'s `model_type`: gpt2, llama, qwen2, mistral; `model.safetensors` or
   * shards with `model.safetensors.index.json`; F32, F16 or BF16; a tokenizer). Optimizer state,
   * when present, is restored so training resumes where it stopped.
   */
  static async load<P extends CausalLmPolicy>(
    this: PolicyClass<P>,
    dir: string,
    options: GptPolicyRuntimeOptions & {
      tokenizer?: Tokenizer;
      trainable?: boolean;
      /** A PEFT adapter directory to attach (default: `dir` itself when it holds `adapter_config.json`). */
      adapter?: string;
      /** Attach a fresh LoRA adapter of this config (seeded by `loraSeed`, default 0) instead. */
      lora?: LoraConfig;
      loraSeed?: number;
    } = {},
  ): Promise<P> {
    const ckpt = await readModelCheckpoint(dir, { tokenizer: options.tokenizer });
    const arch = ckpt.config;
    if (this.family && arch.family !== this.family) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${dir}/config.json: this is a ${arch.family === 'gpt2' ? 'GPT-2' : `${arch.config.modelType} (Llama-family)`} checkpoint; ${this.name}.load reads ${this.family === 'gpt2' ? 'GPT-2' : 'Llama-family'} ones.`, {
        hint: 'CausalLmPolicy.load(dir) reads every supported architecture.',
      });
    }
    const model = modelFromTensors(arch, ckpt.tensors, `${dir}/model.safetensors`, { trainable: options.trainable });
    const adapterDir = options.adapter ?? (hasAdapter(dir) ? dir : undefined);
    if (adapterDir !== undefined || options.lora) {
      if (model.family !== 'llama') {
        model.dispose();
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${dir}: LoRA adapters are implemented for Llama-family models, not GPT-2.`);
      }
      const llama = model as LlamaModel;
      if (options.lora) llama.addAdapter(options.lora, options.loraSeed ?? 0);
      else llama.setAdapter(await readAdapter(adapterDir!, llama.config));
    }
    const policy = new this(model as P['model'], ckpt.tokenizer, options, { generation: ckpt.generation });
    if (ckpt.optimizer && options.trainable !== false) {
      policy.setOptimizer(ckpt.optimizer.config);
      policy.optimizer!.restore(ckpt.optimizer.step, ckpt.optimizer.tensors, `${dir}/optimizer.safetensors`);
    }
    return policy;
  }

  /** Lends the backbone and tokenizer to a reward model (`fromPolicy`), which copies them. */
  [CAUSAL_LM_BACKBONE](): CausalLmBackbone {
    this.assertLive();
    return { model: this.model, tokenizer: this.tokenizer };
  }

  /** The backbone's config (`GptConfig` or `LlamaConfig`). */
  get config(): M['config'] {
    return this.model.config;
  }

  /** Whether `trainStep` may update the parameters (false for a frozen reference copy). */
  get trainable(): boolean {
    return this.model.trainableEntries().length > 0;
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
    return generate(this.model, this.tokenizer, prompts, options, this.options.generateBatchSize ?? 64, this.stopTokenIds());
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
      this.model.trainableEntries().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 })),
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
  async clone(options: { trainable?: boolean } = {}): Promise<this> {
    this.assertLive();
    const Class = this.constructor as PolicyClass<this>;
    return new Class(this.model.clone({ trainable: options.trainable ?? true }) as M, this.tokenizer, this.options, this.extras);
  }

  async save(dir: string): Promise<void> {
    this.assertLive();
    await writeCheckpoint(dir, {
      hfConfig: this.model.hfConfig({ kind: 'policy' }),
      tensors: await this.model.toHost(),
      tokenizer: this.tokenizer,
      optimizer: this.optimizer,
      generation: this.extras.generation,
      maxShardBytes: this.options.maxShardBytes,
    });
    const adapter = this.model.family === 'llama' ? (this.model as unknown as LlamaModel).adapter : null;
    if (adapter) await writeAdapter(dir, adapter);
    else for (const f of ['adapter_config.json', 'adapter_model.safetensors']) await fs.promises.rm(path.join(dir, f), { force: true });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer?.dispose();
    this.model.dispose();
  }

  /** Ids that end a sample besides the tokenizer's EOS: the config's and generation_config.json's `eos_token_id`. */
  private stopTokenIds(): number[] {
    return [...new Set([...this.model.stopTokenIds, ...(this.extras.generation?.eosTokenIds ?? [])])].filter((id) => id !== this.tokenizer.eosId);
  }

  private assertLive(): void {
    if (this.disposed) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'This policy has been disposed.');
  }
}

