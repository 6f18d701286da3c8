import * as tf from '@tensorflow/tfjs-core';
import {
  ApogeeError,
  ERROR_CODES,
  Rng,
  type LossOutput,
  type OptimizerConfig,
  type PromptResponse,
  type RewardForward,
  type RewardModel,
  type Tokenizer,
  type TrainStepResult,
} from '@apogee/core';
import { AdamWOptimizer, writeCheckpoint, type HostTensor } from '@apogee/model-kit';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ADAPTER_FILES,
  createModel,
  GptModel,
  modelFromTensors,
  readAdapter,
  readModelCheckpoint,
  writeAdapter,
  type Architecture,
  type CausalLm,
  type GptConfig,
  type LlamaModel,
  type LoraAdapter,
} from '@apogee/policy';
import { encodeRewardRows, pool, readoutWeights, type RewardReadout } from './pooling';

/** Name of the head in checkpoints: Hugging Face `GPT2ForSequenceClassification`'s and `LlamaForSequenceClassification`'s bias-free `score` layer, [1, nEmbd]. */
export const SCORE_WEIGHT = 'score.weight';

export interface GptRewardRuntimeOptions extends Partial<RewardReadout> {
  /** Rows per forward pass in `score` (default 32). */
  scoreBatchSize?: number;
}

/** How `fromBackbone` takes the backbone. */
export interface FromBackboneOptions extends GptRewardRuntimeOptions {
  /**
   * `copy` (default): an independent copy of the backbone's weights (a LoRA backbone's merged
   * weights), all trained. `shared`: for a backbone with a LoRA adapter, the same frozen base
   * weights (no second copy in memory) plus a copy of the adapter, which trains with the head.
   */
  backbone?: 'copy' | 'shared';
}

/** The readout saved in config.json's `apogee` object (absent in a Hub checkpoint); a bad value names the file and the allowed values. */
function savedReadout(apogee: Record<string, unknown>, file: string): Partial<RewardReadout> {
  const { pooling, appendEos } = apogee;
  if (pooling !== undefined && pooling !== 'last' && pooling !== 'mean') {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: "apogee.pooling" is ${JSON.stringify(pooling)}; allowed: "last", "mean".`);
  }
  if (appendEos !== undefined && typeof appendEos !== 'boolean') {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: "apogee.appendEos" is ${JSON.stringify(appendEos)}; allowed: true, false.`);
  }
  return { pooling, appendEos };
}

/** The static side of a reward class: how `fromBackbone`, `load` and `clone` build one. */
export interface RewardClass<R extends CausalLmReward> {
  /** The backbone family the class reads (`load` refuses others); none: every family. */
  readonly family?: CausalLm['family'];
  new (backbone: R['backbone'], head: tf.Variable, tokenizer: Tokenizer, options?: GptRewardRuntimeOptions): R;
}

/** `architectures` of the sequence-classification model in Hugging Face's naming. */
const CLASSIFIER: Record<string, string> = {
  gpt2: 'GPT2ForSequenceClassification',
  llama: 'LlamaForSequenceClassification',
  qwen2: 'Qwen2ForSequenceClassification',
  mistral: 'MistralForSequenceClassification',
};

/**
 * The reward model: a causal-LM backbone (`@apogee/policy`'s `CausalLm`: GPT-2 or Llama-family,
 * without its LM head) plus a bias-free linear head to a scalar, read at the last token or averaged
 * over the response (`RewardReadout`). Implements `RewardModel` from `@apogee/core`; trained with
 * the same AdamW code as the policy.
 */
export class CausalLmReward<B extends CausalLm = CausalLm> implements RewardModel {
  readonly readout: RewardReadout;
  private optimizer?: AdamWOptimizer;
  private disposed = false;

  constructor(
    readonly backbone: B,
    /** [1, nEmbd], Hugging Face `nn.Linear` layout. */
    readonly head: tf.Variable,
    readonly tokenizer: Tokenizer,
    readonly options: GptRewardRuntimeOptions = {},
  ) {
    this.readout = { pooling: options.pooling ?? 'last', appendEos: options.appendEos ?? false };
    if (this.readout.pooling !== 'last' && this.readout.pooling !== 'mean') {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Reward pooling must be "last" or "mean", got ${JSON.stringify(this.readout.pooling)}.`);
    }
  }

  /**
   * A reward model whose backbone is a copy of `backbone` (without an untied LM head: the reward
   * head replaces it) and whose head is normal(0, 0.02) from `seed`.
   */
  static fromBackbone<R extends CausalLmReward>(this: RewardClass<R>, backbone: CausalLm, tokenizer: Tokenizer, seed: number, options: FromBackboneOptions = {}): R {
    const { backbone: mode = 'copy', ...runtime } = options;
    if (mode !== 'copy' && mode !== 'shared') throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `fromBackbone: backbone must be "copy" or "shared", got ${JSON.stringify(mode)}.`);
    if (mode === 'shared' && !backbone.hasAdapter) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, "fromBackbone: backbone: 'shared' needs a policy with a LoRA adapter (its base weights are frozen); this backbone's weights train.", {
        hint: "Give the policy an adapter (hfPolicy({ lora }) / addAdapter), or use backbone: 'copy'.",
      });
    }
    const model = mode === 'shared' ? backbone.clone({ trainable: true, shareBase: true }) : backbone.clone({ trainable: true, lmHead: false });
    const rng = Rng.fromSeed(seed, 'reward/head');
    const init = tf.randomNormal([1, backbone.config.nEmbd], 0, 0.02, 'float32', rng.seed());
    const head = tf.variable(init, true);
    init.dispose();
    return new this(model as R['backbone'], head, tokenizer, runtime);
  }

  /** A fresh reward model of `architecture` (backbone and head initialised from `seed`). */
  static fromArchitecture(architecture: Architecture, tokenizer: Tokenizer, seed: number, options: GptRewardRuntimeOptions = {}): CausalLmReward {
    const backbone = createModel(architecture, seed, { lmHead: false });
    const rm = CausalLmReward.fromBackbone(backbone, tokenizer, seed, options);
    backbone.dispose();
    return rm;
  }

  /**
   * Load a directory written by `save` (or a Hugging Face `GPT2ForSequenceClassification` /
   * `LlamaForSequenceClassification` / `Qwen2ForSequenceClassification` with one label, sharded or
   * not). Pooling comes from `config.json`'s `apogee` object unless given; optimizer state is restored.
   */
  static async load<R extends CausalLmReward>(this: RewardClass<R>, dir: string, options: GptRewardRuntimeOptions & { tokenizer?: Tokenizer } = {}): Promise<R> {
    const ckpt = await readModelCheckpoint(dir, { tokenizer: options.tokenizer });
    const arch = ckpt.config;
    if (this.family && arch.family !== this.family) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${dir}/config.json: this reward model has a ${arch.family} backbone; use CausalLmReward.load, which reads every supported architecture.`);
    }
    const saved = savedReadout(ckpt.apogee, `${dir}/config.json`);
    const file = `${dir}/model.safetensors`;
    const score = ckpt.tensors.get(SCORE_WEIGHT);
    if (!score) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: no "${SCORE_WEIGHT}" tensor: this is not a reward model checkpoint.`, {
        hint: 'Create a reward model from a policy with fromPolicy(policy, { seed }) instead.',
      });
    }
    const d = arch.config.nEmbd;
    if (score.shape.join(',') !== `1,${d}`) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: "${SCORE_WEIGHT}" has shape [${score.shape}], expected [1, ${d}] (one label).`);
    }
    const backbone = modelFromTensors(arch, ckpt.tensors, file, { extra: /^score\.weight$/, lmHead: false });
    // A reward model saved on a shared LoRA base: PEFT's adapter files beside the base weights.
    if (fs.existsSync(path.join(dir, ADAPTER_FILES.config))) {
      if (backbone.family !== 'llama') {
        backbone.dispose();
        throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${dir}: has ${ADAPTER_FILES.config}, but LoRA adapters are implemented for Llama-family models, not GPT-2.`);
      }
      (backbone as LlamaModel).setAdapter(await readAdapter(dir, (backbone as LlamaModel).config));
    }
    const init = tf.tensor(Float32Array.from(score.data), [1, d]);
    const head = tf.variable(init, true);
    init.dispose();
    const rm = new this(backbone as R['backbone'], head, ckpt.tokenizer, {
      pooling: options.pooling ?? saved.pooling ?? 'last',
      appendEos: options.appendEos ?? saved.appendEos ?? false,
      scoreBatchSize: options.scoreBatchSize,
    });
    if (ckpt.optimizer) {
      rm.setOptimizer(ckpt.optimizer.config);
      rm.optimizer!.restore(ckpt.optimizer.step, ckpt.optimizer.tensors, `${dir}/optimizer.safetensors`);
    }
    return rm;
  }

  /** The backbone's config (`GptConfig` or `LlamaConfig`). */
  get config(): B['config'] {
    return this.backbone.config;
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.optimizer?.step ?? 0;
  }

  /** Differentiable rewards, one per pair (what reward losses call inside `trainStep`). */
  rewards(batch: readonly PromptResponse[], train = false): tf.Tensor1D {
    const rows = encodeRewardRows(this.tokenizer, batch, this.config.blockSize, this.readout.appendEos);
    const { ids, weights, B, T } = readoutWeights(rows, this.tokenizer.padId, this.readout.pooling);
    const { hidden } = this.backbone.hidden(tf.tensor2d(ids, [B, T], 'int32'), {}, train);
    const tokenScores = tf.reshape(tf.matMul(hidden, this.head, false, true), [B, T]) as tf.Tensor2D;
    return pool(tokenScores, weights);
  }

  async score(batch: readonly PromptResponse[], options: { batchSize?: number } = {}): Promise<Float32Array> {
    this.assertLive();
    const size = options.batchSize ?? this.options.scoreBatchSize ?? 32;
    const lengths = batch.map((p) => p.prompt.length + p.response.length);
    const order = batch.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
    const out = new Float32Array(batch.length);
    for (let start = 0; start < order.length; start += size) {
      const idx = order.slice(start, start + size);
      const r = tf.tidy(() => this.rewards(idx.map((i) => batch[i])));
      const values = await r.data();
      r.dispose();
      idx.forEach((i, k) => (out[i] = values[k]));
    }
    return out;
  }

  setOptimizer(config: OptimizerConfig): void {
    this.assertLive();
    this.optimizer?.dispose();
    this.optimizer = new AdamWOptimizer(config, [
      ...this.backbone.trainableEntries().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 })),
      { name: SCORE_WEIGHT, variable: this.head, decay: true },
    ]);
  }

  async trainStep(loss: (forward: RewardForward) => LossOutput): Promise<TrainStepResult> {
    this.assertLive();
    if (!this.optimizer) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'trainStep needs an optimizer: call setOptimizer({ lr, … }) first.');
    const forward: RewardForward = { rewards: (batch) => this.rewards(batch, true) };
    return this.optimizer.trainStep(() => loss(forward));
  }

  /** An independent copy (weights and readout; no optimizer). */
  async clone(): Promise<this> {
    this.assertLive();
    const Class = this.constructor as RewardClass<this>;
    return new Class(this.backbone.clone() as B, tf.variable(this.head, true), this.tokenizer, { ...this.options, ...this.readout });
  }

  async save(dir: string): Promise<void> {
    this.assertLive();
    const tensors = new Map<string, HostTensor>();
    // The base weights (a shared base's LM head is not part of a classifier); an adapter goes in PEFT's files beside them.
    for (const [name, t] of await this.backbone.toHost()) if (name !== 'lm_head.weight') tensors.set(this.backbone.classifierName(name), t);
    tensors.set(SCORE_WEIGHT, { shape: [...this.head.shape], data: (await this.head.data()) as Float32Array });
    const hfConfig = this.backbone.hfConfig({ kind: 'reward', pooling: this.readout.pooling, appendEos: this.readout.appendEos });
    await writeCheckpoint(dir, {
      hfConfig,
      hf: { architectures: [CLASSIFIER[hfConfig.model_type as string]], num_labels: 1 },
      tensors,
      tokenizer: this.tokenizer,
      optimizer: this.optimizer,
    });
    const adapter = adapterOf(this.backbone);
    if (adapter) await writeAdapter(dir, adapter);
    else for (const f of Object.values(ADAPTER_FILES)) await fs.promises.rm(path.join(dir, f), { force: true });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer?.dispose();
    this.backbone.dispose();
    this.head.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'This reward model has been disposed.');
  }
}

/** The reward model on a GPT-2 backbone (`GptModel`), with `create` from a `GptConfig`. */
export class GptReward extends CausalLmReward<GptModel> {
  static readonly family = 'gpt2' as const;

  /** A fresh GPT-2 reward model (backbone and head initialised from `seed`). */
  static create(config: GptConfig, tokenizer: Tokenizer, seed: number, options: GptRewardRuntimeOptions = {}): GptReward {
    const backbone = GptModel.create(config, seed);
    const rm = GptReward.fromBackbone(backbone, tokenizer, seed, options);
    backbone.dispose();
    return rm;
  }
}

/** The LoRA adapter of a Llama-family backbone, if it has one (what a shared-base reward model trains). */
function adapterOf(backbone: CausalLm): LoraAdapter | null {
  return backbone.hasAdapter ? (backbone as LlamaModel).adapter : null;
}
