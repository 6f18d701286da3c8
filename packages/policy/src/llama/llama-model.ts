import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, Rng } from '@apogee/core';
import type { HostTensor } from '@apogee/model-kit';
import type { CausalLm, ForwardOptions } from '../causal-lm';
import { EVAL_CONTEXT, type ForwardContext } from '../model/layers';
import { initTensor, Weights, weightsFromHost } from '../model/weights';
import { checkLlamaConfig, toLlamaHfConfig, type LlamaConfig } from './config';
import { llamaHidden, llamaOutputEmbedding } from './llama';
import { LoraAdapter, type LoraConfig } from './lora';
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
  /** The LoRA adapter, when one is attached: then only its weights train, and the base weights may be shared with frozen copies. */
  adapter: LoraAdapter | null = null;
  /** A view on shared base weights (`withoutAdapter`): nothing of it may train. */
  private frozen = false;
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
    const weights = weightsFromHost((nLayer) => llamaParamSpecs({ ...config, nLayer }, options), byName, file, {
      what: `${config.modelType} (Llama-family)`,
      hint: 'Use Hugging Face LlamaForCausalLM names (model.embed_tokens.weight, model.layers.0.self_attn.q_proj.weight, …, lm_head.weight when untied) and the shapes config.json implies.',
      trainable: options.trainable ?? true,
      tag: 'llama',
      layers: { count: config.nLayer, field: 'num_hidden_layers' },
    });
    return new LlamaModel(config, weights, options.seed ?? 0);
  }

  get stopTokenIds(): readonly number[] {
    return this.config.eosTokenIds;
  }

  hidden(ids: tf.Tensor2D, opts: ForwardOptions = {}, train = false): { hidden: tf.Tensor2D } {
    const ctx = train ? this.trainContext() : EVAL_CONTEXT;
    return llamaHidden(this.weights, this.config, this.freqs, ids, opts, this.adapter?.enabled ? { ...ctx, adapter: this.adapter } : ctx);
  }

  /** The cache keeps `nKvHead` heads (grouped-query attention shares them). */
  cacheShape(): { layers: number; kvHeads: number; headDim: number } {
    return { layers: this.config.nLayer, kvHeads: this.config.nKvHead, headDim: this.config.headDim };
  }

  /** Attach a fresh LoRA adapter (B = 0: the model's function is unchanged until it trains). */
  addAdapter(config: LoraConfig, seed: number): LoraAdapter {
    if (this.frozen) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'This model is a frozen view on shared weights (withoutAdapter); it takes no adapter.');
    const shapes = new Map(this.weights.entries().map(([name, v]) => [name, [...v.shape]]));
    this.setAdapter(LoraAdapter.create(this.config, config, shapes, seed));
    return this.adapter!;
  }

  /** Attach `adapter` (owned by the model from now on), replacing any other. */
  setAdapter(adapter: LoraAdapter | null): void {
    this.adapter?.dispose();
    this.adapter = adapter;
  }

  /** The parameters an optimizer updates: the adapter's when there is one, else all. */
  trainableEntries(): [string, tf.Variable][] {
    if (this.frozen) return [];
    const entries = this.adapter ? this.adapter.weights.entries() : this.weights.entries();
    return entries.filter(([, v]) => v.trainable);
  }

  /**
   * The base model without the adapter, sharing the base weights (no copy): a LoRA policy's DPO
   * reference when the reference is the model before adaptation.
   */
  withoutAdapter(): LlamaModel {
    const view = new LlamaModel(this.config, this.weights.retain(), 0);
    view.frozen = true;
    return view;
  }

  /** A model whose projections are W + (α/r)·B·A and that has no adapter: what PEFT's `merge_and_unload` gives. */
  mergeAdapter(): LlamaModel {
    const weights = new Weights(this.weights.trainable, 'llama');
    for (const [name, v] of this.weights.entries()) {
      const prefix = name.slice(0, -'.weight'.length);
      weights.add(name, this.adapter?.covers(prefix) ? this.adapter.merged(prefix, v as tf.Tensor2D) : tf.clone(v));
    }
    return new LlamaModel(this.config, weights, 0);
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

  /**
   * An independent copy. With an adapter and the LM head kept, the base weights (frozen while the
   * adapter trains) are shared and only the adapter is copied: a LoRA policy's frozen reference
   * costs the adapter's size, not the model's.
   */
  clone(options: { trainable?: boolean; lmHead?: boolean; shareBase?: boolean } = {}): LlamaModel {
    if (options.shareBase && !this.adapter) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'clone({ shareBase: true }) needs a LoRA adapter: without one the base weights train and cannot be shared.');
    }
    if (this.adapter && (options.lmHead !== false || options.shareBase)) {
      // The LM head stays in the shared weights when the caller has no use for it: sharing costs nothing.
      const copy = new LlamaModel(this.config, this.weights.retain(), 0);
      copy.adapter = this.adapter.clone(options.trainable ?? true);
      copy.dropoutRng = Rng.fromState(this.dropoutRng.getState());
      return copy;
    }
    if (this.adapter) {
      // A reward backbone from a LoRA policy: the adapted function, merged into plain weights.
      const merged = this.mergeAdapter();
      const copy = merged.clone(options);
      merged.dispose();
      return copy;
    }
    const weights = this.weights.clone(options.trainable, (name) => name === 'lm_head.weight' && options.lmHead === false);
    const copy = new LlamaModel(this.config, weights, 0);
    copy.dropoutRng = Rng.fromState(this.dropoutRng.getState());
    return copy;
  }

  async toHost(): Promise<Map<string, HostTensor>> {
    return this.weights.toHost();
  }

  get hasAdapter(): boolean {
    return this.adapter !== null;
  }

  dispose(): void {
    this.weights.dispose();
    this.adapter?.dispose();
    this.adapter = null;
  }

  private trainContext(): ForwardContext {
    return { train: true, dropout: this.config.dropout, nextSeed: () => this.dropoutRng.seed() };
  }
}
