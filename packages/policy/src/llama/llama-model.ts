import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@apogee/core';
import type { CausalLm, ForwardOptions, HostTensor } from '../causal-lm';
import type { LayerKv } from '../model/attention';
import { EVAL_CONTEXT, type ForwardContext } from '../model/layers';
import { initTensor, Weights, weightsFromHost } from '../model/weights';
import { checkLlamaConfig, toLlamaHfConfig, type LlamaConfig } from './config';
import { llamaHidden, llamaOutputEmbedding } from './llama';
import { ropeFrequencies } from './rope';
import { llamaParamSpecs } from './weights';

/** Names in Hub checkpoints that are buffers, not parameters (older exports keep RoPE's inv_freq). */
const IGNORED = /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/;

/**
 * A Llama-family model (Llama, SmolLM2, TinyLlama, Qwen2, Mistral): a config plus its parameters as
 * `tf.Variable`s under Hugging Face `LlamaForCausalLM` names. Implements `CausalLm`.
 */
export class LlamaModel implements CausalLm {
  readonly family = 'llama' as const;
  /** Rotary frequencies of the config (θ, head size and scaling). */
  readonly freqs: Float32Array;
  private dropoutRng: Rng;

  private constructor(
    readonly config: LlamaConfig,
    readonly weights: Weights,
    dropoutSeed: number,
  ) {
    this.freqs = ropeFrequencies(config);
    this.dropoutRng = Rng.fromSeed(dropoutSeed, 'llama/dropout');
  }

  /** Fresh init from `seed` (Hugging Face's: normal(0, 0.02) weights, zero biases, unit norm gains). */
  static create(config: LlamaConfig, seed: number, options: { trainable?: boolean; lmHead?: boolean } = {}): LlamaModel {
    checkLlamaConfig(config);
    const rng = Rng.fromSeed(seed, 'llama/init');
    const weights = new Weights(options.trainable ?? true, 'llama');
    for (const spec of llamaParamSpecs(config, options)) weights.add(spec.name, initTensor({ ...spec, init: spec.init === 'residual' ? 'normal' : spec.init }, config.nLayer, rng));
    return new LlamaModel(config, weights, seed);
  }

  /**
   * Build from named host tensors (the checkpoint's shards, already merged and in float32). Names are
   * `LlamaForCausalLM`'s; `lm_head.weight` is ignored when the embeddings are tied (some exports keep
   * the copy), as is RoPE's `inv_freq` buffer; `extra` names are skipped (a reward head).
   */
  static fromTensors(config: LlamaConfig, tensors: ReadonlyMap<string, HostTensor>, file: string, options: { trainable?: boolean; seed?: number; extra?: RegExp; lmHead?: boolean } = {}): LlamaModel {
    const byName = new Map<string, HostTensor>();
    for (const [name, t] of tensors) {
      if (IGNORED.test(name) || options.extra?.test(name)) continue;
      if (name === 'lm_head.weight' && (config.tieWordEmbeddings || options.lmHead === false)) continue;
      byName.set(name, t);
    }
    const weights = weightsFromHost(llamaParamSpecs(config, options), byName, file, {
      what: `${config.modelType} (Llama-family)`,
      hint: 'Use Hugging Face LlamaForCausalLM names (model.embed_tokens.weight, model.layers.0.self_attn.q_proj.weight, …, lm_head.weight when untied) and the shapes config.json implies.',
      trainable: options.trainable ?? true,
      tag: 'llama',
    });
    return new LlamaModel(config, weights, options.seed ?? 0);
  }

  get stopTokenIds(): readonly number[] {
    return this.config.eosTokenIds;
  }

  hidden(ids: tf.Tensor2D, opts: ForwardOptions = {}, train = false): { hidden: tf.Tensor2D; kv: LayerKv[] } {
    return llamaHidden(this.weights, this.config, this.freqs, ids, opts, train ? this.trainContext() : EVAL_CONTEXT);
  }

  logits(hidden: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(hidden, this.outputEmbedding(), false, true);
  }

  outputEmbedding(): tf.Tensor2D {
    return llamaOutputEmbedding(this.weights, this.config);
  }

  hfConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return toLlamaHfConfig(this.config, extra);
  }

  /** `LlamaForSequenceClassification` keeps the backbone's names (`model.…`). */
  classifierName(name: string): string {
    return name;
  }

  clone(options: { trainable?: boolean; lmHead?: boolean } = {}): LlamaModel {
    const weights = new Weights(options.trainable ?? this.weights.trainable, 'llama');
    for (const [name, v] of this.weights.entries()) {
      if (name === 'lm_head.weight' && options.lmHead === false) continue;
      weights.add(name, tf.clone(v));
    }
    const copy = new LlamaModel(this.config, weights, 0);
    copy.dropoutRng = Rng.fromState(this.dropoutRng.getState());
    return copy;
  }

  async toHost(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const [name, v] of this.weights.entries()) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  dispose(): void {
    this.weights.dispose();
  }

  private trainContext(): ForwardContext {
    return { train: true, dropout: this.config.dropout, nextSeed: () => this.dropoutRng.seed() };
  }
}
