import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, Rng } from '@apogee/core';
import type { HostTensor } from '@apogee/model-kit';
import type { CausalLm } from './causal-lm';
import { checkGptConfig, toHfConfig, type GptConfig } from './config';
import { gptHidden, gptLogits, type GptForwardOptions } from './model/gpt';
import { EVAL_CONTEXT, type ForwardContext } from './model/layers';
import { gptParamSpecs, initTensor, Weights, weightsFromHost } from './model/weights';


/** Names in Hugging Face GPT-2 checkpoints that are buffers or tied copies, not parameters. */
const IGNORED = /^(lm_head\.weight|h\.\d+\.attn\.(bias|masked_bias))$/;

/**
 * The GPT-2 backbone: a config plus its parameters as `tf.Variable`s under Hugging Face names.
 * The policy and the reward model both build on it.
 */
export class GptModel implements CausalLm {
  readonly family = 'gpt2' as const;
  readonly stopTokenIds: readonly number[] = [];
  private dropoutRng: Rng;

  private constructor(
    readonly config: GptConfig,
    readonly weights: Weights,
    dropoutSeed: number,
  ) {
    this.dropoutRng = Rng.fromSeed(dropoutSeed, 'gpt/dropout');
  }

  /** Fresh GPT-2 init from `seed`: normal(0, 0.02), residual projections scaled by 1/√(2·nLayer). */
  static create(config: GptConfig, seed: number, options: { trainable?: boolean } = {}): GptModel {
    checkGptConfig(config);
    const rng = Rng.fromSeed(seed, 'gpt/init');
    const weights = new Weights(options.trainable ?? true, 'gpt');
    for (const spec of gptParamSpecs(config)) weights.add(spec.name, initTensor(spec, config.nLayer, rng));
    return new GptModel(config, weights, seed);
  }

  /**
   * Build from named host tensors (a safetensors file). Accepts an optional `transformer.` prefix,
   * ignores GPT-2's attention-mask buffers and the tied `lm_head.weight`; a missing, misshapen or
   * unknown tensor is an error naming `file`.
   */
  static fromTensors(config: GptConfig, tensors: ReadonlyMap<string, HostTensor>, file: string, options: { trainable?: boolean; seed?: number; extra?: RegExp } = {}): GptModel {
    const byName = new Map<string, HostTensor>();
    for (const [raw, t] of tensors) {
      const name = raw.startsWith('transformer.') ? raw.slice('transformer.'.length) : raw;
      if (IGNORED.test(name) || options.extra?.test(raw)) continue;
      byName.set(name, t);
    }
    const weights = weightsFromHost((nLayer) => gptParamSpecs({ ...config, nLayer }), byName, file, {
      what: 'GPT-2',
      hint: 'Use Hugging Face GPT-2 names (wte.weight, h.0.attn.c_attn.weight, …; an optional "transformer." prefix is fine) and the shapes config.json implies.',
      trainable: options.trainable ?? true,
      tag: 'gpt',
      layers: { count: config.nLayer, field: 'n_layer' },
    });
    return new GptModel(config, weights, options.seed ?? 0);
  }

  /** Final hidden states [batch·time, d]. */
  hidden(ids: tf.Tensor2D, opts: GptForwardOptions = {}, train = false): { hidden: tf.Tensor2D } {
    return gptHidden(this.weights, this.config, ids, opts, train ? this.trainContext() : EVAL_CONTEXT);
  }

  /** One key/value head per query head. */
  cacheShape(): { layers: number; kvHeads: number; headDim: number } {
    return { layers: this.config.nLayer, kvHeads: this.config.nHead, headDim: this.config.nEmbd / this.config.nHead };
  }

  /** Tied-embedding logits [rows, vocab] of hidden states [rows, d]. */
  logits(hidden: tf.Tensor2D): tf.Tensor2D {
    return gptLogits(this.weights, hidden);
  }

  /** The token embedding: GPT-2's output projection is tied to it. */
  outputEmbedding(): tf.Tensor2D {
    return this.weights.get('wte.weight') as tf.Tensor2D;
  }

  /** GPT-2 has no LoRA adapters. */
  readonly hasAdapter = false;

  /** Every parameter trains (GPT-2 has no adapters). */
  trainableEntries(): [string, tf.Variable][] {
    return this.weights.entries().filter(([, v]) => v.trainable);
  }

  hfConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return toHfConfig(this.config, extra);
  }

  /** `GPT2ForSequenceClassification` keeps the backbone under `transformer.`. */
  classifierName(name: string): string {
    return `transformer.${name}`;
  }

  /** An independent copy of the parameters (same config; GPT-2 has no separate output head). */
  clone(options: { trainable?: boolean; lmHead?: boolean; shareBase?: boolean } = {}): GptModel {
    if (options.shareBase) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'clone({ shareBase: true }) needs a LoRA adapter; GPT-2 models have none (their weights train and cannot be shared).');
    const copy = new GptModel(this.config, this.weights.clone(options.trainable), 0);
    copy.dropoutRng = Rng.fromState(this.dropoutRng.getState());
    return copy;
  }

  /** Parameters as host tensors under Hugging Face names (a checkpoint's `model.safetensors`). */
  async toHost(): Promise<Map<string, HostTensor>> {
    return this.weights.toHost();
  }

  dispose(): void {
    this.weights.dispose();
  }

  private trainContext(): ForwardContext {
    return { train: true, dropout: this.config.dropout, nextSeed: () => this.dropoutRng.seed() };
  }
}
