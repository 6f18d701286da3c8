import type * as tf from '@tensorflow/tfjs-core';
import type { KvCache, KvRows } from '@apogee/runtime';
import type { Weights } from './model/weights';

import type { HostTensor } from '@apogee/model-kit';

/** Inputs of a forward pass besides the token ids. */
export interface ForwardOptions {
  /** [batch, time] position ids; default 0..time−1 for every row. */
  positions?: tf.Tensor2D;
  /** Additive attention mask broadcastable to [batch, heads, time, keys]; default causal. Unused with `cache`. */
  bias?: tf.Tensor4D;
  /**
   * KV-cache decoding: every block writes the new tokens' keys/values into `kv` at columns
   * `col …` of each row's slot and attends to the row's columns (`@apogee/runtime`'s
   * `kvCacheAttention`), instead of attending within `ids` under `bias`.
   */
  cache?: DecodeCache;
}

/** Where a forward pass's tokens go in a KV cache. */
export interface DecodeCache {
  kv: KvCache;
  rows: KvRows;
  /** Cache column of every row's first token in `ids`. */
  col: number;
}

/** What every architecture's config has, whatever its other fields. */
export interface CausalLmShape {
  vocabSize: number;
  /** The most positions one row may hold (prompt plus response, or a generation's prompt plus new tokens). */
  blockSize: number;
  /** Width of the hidden states `hidden` returns (a reward head's input). */
  nEmbd: number;
  nLayer: number;
  dropout: number;
}

/**
 * A decoder-only transformer backbone with a language-model head: what the policy, log-probs,
 * generation and the reward model need from an architecture (GPT-2: `GptModel`; Llama, Qwen2,
 * Mistral: `LlamaModel`). Parameters are `tf.Variable`s under their Hugging Face names.
 */
export interface CausalLm {
  /** `gpt2` or `llama` (Llama-family: llama, qwen2, mistral). */
  readonly family: 'gpt2' | 'llama';
  readonly config: CausalLmShape;
  readonly weights: Weights;
  /** Final hidden states [batch·time, nEmbd] of ids [batch, time]. */
  hidden(ids: tf.Tensor2D, opts?: ForwardOptions, train?: boolean): { hidden: tf.Tensor2D };
  /** Key/value heads and head size of a KV cache for this model. */
  cacheShape(): { layers: number; kvHeads: number; headDim: number };
  /** Next-token logits [rows, vocab] of hidden states [rows, nEmbd]. */
  logits(hidden: tf.Tensor2D): tf.Tensor2D;
  /** The output projection `[vocab, nEmbd]`: row y's dot product with a hidden state is y's logit. */
  outputEmbedding(): tf.Tensor2D;
  /**
   * An independent copy of the parameters (same config). `lmHead: false` drops an untied output
   * head (a reward backbone). `shareBase: true` (a model with a LoRA adapter only) shares the frozen
   * base weights and copies only the adapter.
   */
  clone(options?: { trainable?: boolean; lmHead?: boolean; shareBase?: boolean }): CausalLm;
  /** Whether a LoRA adapter is attached (then only it trains and the base weights are frozen). */
  readonly hasAdapter: boolean;
  /** The parameters an optimizer updates (all of them, or a LoRA adapter's). */
  trainableEntries(): [string, tf.Variable][];
  /** Parameters as host tensors under Hugging Face names (the base model's; an adapter is saved apart). */
  toHost(): Promise<Map<string, HostTensor>>;
  /** The Hugging Face `config.json` object of this model, `extra` under its `apogee` key. */
  hfConfig(extra?: Record<string, unknown>): Record<string, unknown>;
  /** Checkpoint name of a parameter in a sequence-classification model (`transformer.h.0…` for GPT-2; Llama names already carry `model.`). */
  classifierName(name: string): string;
  /** Token ids that end generation besides the tokenizer's EOS (`eos_token_id` of Llama-family configs). */
  readonly stopTokenIds: readonly number[];
  dispose(): void;
}
