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
import { AdamWOptimizer, GptModel, readCheckpoint, writeCheckpoint, type GptConfig, type HostTensor } from '@apogee/policy';
import { encodeRewardRows, pool, readoutWeights, type RewardReadout } from './pooling';

/** Name of the head in checkpoints: Hugging Face `GPT2ForSequenceClassification`'s bias-free `score` layer, [1, nEmbd]. */
export const SCORE_WEIGHT = 'score.weight';

export interface GptRewardRuntimeOptions extends Partial<RewardReadout> {
  /** Rows per forward pass in `score` (default 32). */
  scoreBatchSize?: number;
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

/**
 * The reward model: a GPT-2 backbone (`@apogee/policy`'s `GptModel`) plus a bias-free linear head
 * to a scalar, read at the last token or averaged over the response (`RewardReadout`). Implements
 * `RewardModel` from `@apogee/core`; trained with the same AdamW code as the policy.
 */
export class GptReward implements RewardModel {
  readonly readout: RewardReadout;
  private optimizer?: AdamWOptimizer;
  private disposed = false;

  constructor(
    readonly backbone: GptModel,
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

  /** A reward model whose backbone is a copy of `backbone` and whose head is normal(0, 0.02) from `seed`. */
  static fromBackbone(backbone: GptModel, tokenizer: Tokenizer, seed: number, options: GptRewardRuntimeOptions = {}): GptReward {
    const rng = Rng.fromSeed(seed, 'reward/head');
    const init = tf.randomNormal([1, backbone.config.nEmbd], 0, 0.02, 'float32', rng.seed());
    const head = tf.variable(init, true);
    init.dispose();
    return new GptReward(backbone.clone({ trainable: true }), head, tokenizer, options);
  }

  /** A fresh reward model (backbone and head initialised from `seed`). */
  static create(config: GptConfig, tokenizer: Tokenizer, seed: number, options: GptRewardRuntimeOptions = {}): GptReward {
    const backbone = GptModel.create(config, seed);
    const rm = GptReward.fromBackbone(backbone, tokenizer, seed, options);
    backbone.dispose();
    return rm;
  }

  /**
   * Load a directory written by `save` (or a Hugging Face `GPT2ForSequenceClassification` with one
   * label). Pooling comes from `config.json`'s `apogee` object unless given; optimizer state is restored.
   */
  static async load(dir: string, options: GptRewardRuntimeOptions & { tokenizer?: Tokenizer } = {}): Promise<GptReward> {
    const ckpt = await readCheckpoint(dir, { tokenizer: options.tokenizer });
    const saved = savedReadout(ckpt.apogee, `${dir}/config.json`);
    const file = `${dir}/model.safetensors`;
    const score = ckpt.tensors.get(SCORE_WEIGHT);
    if (!score) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: no "${SCORE_WEIGHT}" tensor: this is not a reward model checkpoint.`, {
        hint: 'Create a reward model from a policy with fromPolicy(policy, { seed }) instead.',
      });
    }
    if (score.shape.join(',') !== `1,${ckpt.config.nEmbd}`) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: "${SCORE_WEIGHT}" has shape [${score.shape}], expected [1, ${ckpt.config.nEmbd}] (one label).`);
    }
    const backbone = GptModel.fromTensors(ckpt.config, ckpt.tensors, file, { extra: /^score\.weight$/ });
    const init = tf.tensor(Float32Array.from(score.data), [1, ckpt.config.nEmbd]);
    const head = tf.variable(init, true);
    init.dispose();
    const rm = new GptReward(backbone, head, ckpt.tokenizer, {
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

  get config(): GptConfig {
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
      ...this.backbone.weights.entries().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 })),
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
  async clone(): Promise<GptReward> {
    this.assertLive();
    return new GptReward(this.backbone.clone(), tf.variable(this.head, true), this.tokenizer, { ...this.options, ...this.readout });
  }

  async save(dir: string): Promise<void> {
    this.assertLive();
    const tensors = new Map<string, HostTensor>();
    for (const [name, t] of await this.backbone.toHost()) tensors.set(`transformer.${name}`, t);
    tensors.set(SCORE_WEIGHT, { shape: [...this.head.shape], data: (await this.head.data()) as Float32Array });
    await writeCheckpoint(dir, {
      config: this.config,
      apogee: { kind: 'reward', pooling: this.readout.pooling, appendEos: this.readout.appendEos },
      hf: { architectures: ['GPT2ForSequenceClassification'], num_labels: 1 },
      tensors,
      tokenizer: this.tokenizer,
      optimizer: this.optimizer,
    });
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
