import { ApogeeError, ERROR_CODES, isApogeeError } from '@apogee/core';
import { readTokenIds } from '@apogee/model-kit';

/**
 * How rotary frequencies are stretched for contexts longer than pre-training's (Hugging Face
 * `rope_scaling`). `linear`: positions divided by `factor` (Chen et al. 2023, "Extending Context
 * Window of Large Language Models via Positional Interpolation"). `llama3`: Llama 3.1's
 * wavelength-dependent interpolation (low frequencies divided by `factor`, high ones kept, a smooth
 * ramp between; Meta's `apply_scaling`).
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

/**
 * Shape of a Llama-family decoder (Touvron et al. 2023, "LLaMA"; Llama 2/3; Qwen2 and Mistral share
 * it): RMSNorm pre-norm blocks, rotary position embeddings, SwiGLU MLP, grouped-query attention.
 * Field names are camelCase versions of Hugging Face `LlamaConfig`'s; `toLlamaHfConfig` maps them back.
 */
export interface LlamaConfig {
  /** Hugging Face `model_type`: `llama` (also SmolLM2, TinyLlama), `qwen2`, `mistral`. Decides the config.json and attention biases. */
  modelType: 'llama' | 'qwen2' | 'mistral';
  /** Token ids (`vocab_size`; SmolLM2: 49152). */
  vocabSize: number;
  /** Context length apogee uses (`max_position_embeddings`; RoPE has no position table, so this only bounds prompts and caches). */
  blockSize: number;
  /** Decoder blocks (`num_hidden_layers`; SmolLM2-135M: 30). */
  nLayer: number;
  /** Query heads (`num_attention_heads`; SmolLM2-135M: 9). */
  nHead: number;
  /** Key/value heads (`num_key_value_heads`); divides `nHead`. Equal: multi-head attention; fewer: grouped-query attention (Ainslie et al. 2023). */
  nKvHead: number;
  /** Width of the residual stream (`hidden_size`; SmolLM2-135M: 576). */
  nEmbd: number;
  /** Width of one head (`head_dim`; default `nEmbd / nHead`). */
  headDim: number;
  /** Hidden width of the SwiGLU MLP (`intermediate_size`; SmolLM2-135M: 1536). */
  intermediateSize: number;
  /** Epsilon of every RMSNorm (`rms_norm_eps`; Llama 2: 1e-5, Qwen2.5: 1e-6). */
  rmsNormEps: number;
  /** Base θ of the rotary frequencies θ^(−2i/headDim) (`rope_theta`; Llama 2: 1e4, SmolLM2: 1e5, Llama 3: 5e5, Qwen2.5: 1e6). */
  ropeTheta: number;
  /** `rope_scaling`, or null for plain RoPE. */
  ropeScaling: RopeScaling | null;
  /** Output projection shares the token embedding (`tie_word_embeddings`; true for SmolLM2, Qwen2.5-0.5B, Llama 3.2; false for TinyLlama, Llama 2). */
  tieWordEmbeddings: boolean;
  /** Biases on q, k and v projections (Qwen2: always; Llama: `attention_bias`, which also adds one to o_proj). */
  qkvBias: boolean;
  /** Bias on the attention output projection (Llama's `attention_bias`; Qwen2: never). */
  oBias: boolean;
  /** Biases in the MLP projections (`mlp_bias`; default false). */
  mlpBias: boolean;
  /** Dropout on attention probabilities and residual branches while training; read from `apogee.dropout` only, default 0 (decision 0025). */
  dropout: number;
  /** Token ids generation stops at (`eos_token_id` of generation_config.json, else config.json); empty: the tokenizer's EOS. */
  eosTokenIds: readonly number[];
}

/** Fields every preset shares. */
const BASE = { modelType: 'llama', ropeScaling: null, qkvBias: false, oBias: false, mlpBias: false, dropout: 0, eosTokenIds: [] } as const;

/** Named shapes (weights are random unless loaded); `vocabSize` is replaced by the tokenizer's when created with one. */
export const LLAMA_PRESETS = {
  /** Tests: 2 blocks, d=64, 4 query heads sharing 2 key/value heads, untied. */
  'llama-tiny': { ...BASE, vocabSize: 260, blockSize: 128, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 64, headDim: 16, intermediateSize: 176, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false },
  /** Tests: a Qwen2-style tiny model (q/k/v biases, tied embeddings, θ = 1e6, eps 1e-6). */
  'qwen2-tiny': { ...BASE, modelType: 'qwen2', vocabSize: 260, blockSize: 128, nLayer: 2, nHead: 4, nKvHead: 1, nEmbd: 64, headDim: 16, intermediateSize: 160, rmsNormEps: 1e-6, ropeTheta: 1e6, tieWordEmbeddings: true, qkvBias: true },
  /** HuggingFaceTB/SmolLM2-135M's shape: 30 blocks, d=576, 9 heads over 3 KV heads, MLP 1536, θ = 1e5, tied. */
  'smollm2-135m': { ...BASE, vocabSize: 49152, blockSize: 8192, nLayer: 30, nHead: 9, nKvHead: 3, nEmbd: 576, headDim: 64, intermediateSize: 1536, rmsNormEps: 1e-5, ropeTheta: 100000, tieWordEmbeddings: true },
  /** Qwen/Qwen2.5-0.5B's shape: 24 blocks, d=896, 14 heads over 2 KV heads, MLP 4864, q/k/v biases, θ = 1e6, tied. */
  'qwen2.5-0.5b': { ...BASE, modelType: 'qwen2', vocabSize: 151936, blockSize: 32768, nLayer: 24, nHead: 14, nKvHead: 2, nEmbd: 896, headDim: 64, intermediateSize: 4864, rmsNormEps: 1e-6, ropeTheta: 1e6, tieWordEmbeddings: true, qkvBias: true },
} satisfies Record<string, LlamaConfig>;

export type LlamaPresetName = keyof typeof LLAMA_PRESETS;

/** A full config from a preset plus overrides; checked. */
export function llamaConfig(preset: LlamaPresetName = 'llama-tiny', overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  const base = LLAMA_PRESETS[preset] as LlamaConfig | undefined;
  if (!base) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Unknown Llama preset "${String(preset)}".`, { hint: `Use one of: ${Object.keys(LLAMA_PRESETS).join(', ')}.` });
  }
  return checkLlamaConfig({ ...base, ...overrides });
}

/** Throws an ApogeeError naming every bad field. */
export function checkLlamaConfig(c: LlamaConfig, where = 'Llama config'): LlamaConfig {
  const problems: { path: string; message: string }[] = [];
  for (const key of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nKvHead', 'nEmbd', 'headDim', 'intermediateSize'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) problems.push({ path: key, message: `must be a positive integer, got ${JSON.stringify(v)}` });
  }
  if (problems.length === 0 && c.nHead % c.nKvHead !== 0) problems.push({ path: 'nKvHead', message: `must divide nHead (${c.nHead}), got ${c.nKvHead}` });
  if (problems.length === 0 && c.headDim % 2 !== 0) problems.push({ path: 'headDim', message: `must be even (rotary embeddings rotate pairs), got ${c.headDim}` });
  if (!(c.rmsNormEps > 0)) problems.push({ path: 'rmsNormEps', message: `must be > 0, got ${c.rmsNormEps}` });
  if (!(c.ropeTheta > 0)) problems.push({ path: 'ropeTheta', message: `must be > 0, got ${c.ropeTheta}` });
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push({ path: 'dropout', message: `must be in [0, 1), got ${c.dropout}` });
  if (!['llama', 'qwen2', 'mistral'].includes(c.modelType)) problems.push({ path: 'modelType', message: `must be "llama", "qwen2" or "mistral", got ${JSON.stringify(c.modelType)}` });
  const s = c.ropeScaling;
  if (s !== null) {
    if (!(s.factor > 0)) problems.push({ path: 'ropeScaling.factor', message: `must be > 0, got ${s.factor}` });
    if (s.type === 'llama3' && !(s.highFreqFactor > s.lowFreqFactor && s.originalMaxPositionEmbeddings > 0)) {
      problems.push({ path: 'ropeScaling', message: 'llama3 scaling needs highFreqFactor > lowFreqFactor and originalMaxPositionEmbeddings > 0' });
    }
  }
  if (problems.length > 0) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${where} is invalid:`, { problems });
  return c;
}

/** The Hugging Face architectures apogee reads as Llama-family, by `model_type`. */
export const LLAMA_MODEL_TYPES: Record<LlamaConfig['modelType'], string> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' };

/** The Hugging Face `config.json` of this model (`architectures` of a causal LM; the reward model replaces it), with apogee's fields under `apogee`. */
export function toLlamaHfConfig(c: LlamaConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    model_type: c.modelType,
    architectures: [LLAMA_MODEL_TYPES[c.modelType]],
    vocab_size: c.vocabSize,
    max_position_embeddings: c.blockSize,
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    num_key_value_heads: c.nKvHead,
    hidden_size: c.nEmbd,
    head_dim: c.headDim,
    intermediate_size: c.intermediateSize,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: c.ropeScaling === null ? null
      : c.ropeScaling.type === 'linear' ? { rope_type: 'linear', type: 'linear', factor: c.ropeScaling.factor }
      : {
          rope_type: 'llama3',
          factor: c.ropeScaling.factor,
          low_freq_factor: c.ropeScaling.lowFreqFactor,
          high_freq_factor: c.ropeScaling.highFreqFactor,
          original_max_position_embeddings: c.ropeScaling.originalMaxPositionEmbeddings,
        },
    tie_word_embeddings: c.tieWordEmbeddings,
    attention_dropout: c.dropout,
    torch_dtype: 'float32',
    apogee: { dropout: c.dropout, ...extra },
  };
  if (c.modelType !== 'qwen2') {
    out.attention_bias = c.qkvBias;
    out.mlp_bias = c.mlpBias;
  }
  if (c.eosTokenIds.length > 0) out.eos_token_id = c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds;
  return out;
}

/** Whether a config.json object describes a Llama-family model apogee reads. */
export function isLlamaHfConfig(json: Record<string, unknown>): boolean {
  return typeof json.model_type === 'string' && json.model_type in LLAMA_MODEL_TYPES;
}

/**
 * Read a Hugging Face `config.json` of a Llama, Qwen2 or Mistral model. Every problem names the
 * file and the field; `rope_scaling` types other than linear and llama3 (yarn, dynamic, longrope)
 * are refused rather than silently ignored.
 */
export function fromLlamaHfConfig(json: unknown, file: string): LlamaConfig {
  const problems: { path: string; message: string }[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: is not a JSON object`);
  }
  const o = json as Record<string, unknown>;
  const modelType = o.model_type as LlamaConfig['modelType'];
  if (!(typeof modelType === 'string' && modelType in LLAMA_MODEL_TYPES)) {
    problems.push({ path: 'model_type', message: `must be one of ${Object.keys(LLAMA_MODEL_TYPES).map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(o.model_type)}` });
  }
  const int = (key: string, fallback?: number): number => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      problems.push({ path: key, message: `must be a positive integer, got ${JSON.stringify(v)}` });
      return 1;
    }
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) {
      problems.push({ path: key, message: `must be a positive number, got ${JSON.stringify(v)}` });
      return fallback;
    }
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'boolean') {
      problems.push({ path: key, message: `must be true or false, got ${JSON.stringify(v)}` });
      return fallback;
    }
    return v;
  };
  const act = o.hidden_act ?? 'silu';
  if (act !== 'silu') problems.push({ path: 'hidden_act', message: `must be "silu" (SwiGLU), got ${JSON.stringify(act)}` });
  const nEmbd = int('hidden_size');
  const nHead = int('num_attention_heads');
  const nKvHead = int('num_key_value_heads', nHead);
  const headDim = o.head_dim === undefined || o.head_dim === null ? Math.floor(nEmbd / nHead) : int('head_dim');
  const attentionBias = bool('attention_bias', false);
  const sliding = o.use_sliding_window === true ? o.sliding_window : null;
  const blockSize = int('max_position_embeddings', 2048);
  if (typeof sliding === 'number' && sliding < blockSize) {
    problems.push({ path: 'use_sliding_window', message: `sliding-window attention (window ${sliding} < max_position_embeddings ${blockSize}) is not supported` });
  }
  const apogee = (typeof o.apogee === 'object' && o.apogee !== null ? o.apogee : {}) as Record<string, unknown>;
  const eos = o.eos_token_id;
  const config: LlamaConfig = {
    modelType,
    vocabSize: int('vocab_size'),
    blockSize,
    nLayer: int('num_hidden_layers'),
    nHead,
    nKvHead,
    nEmbd,
    headDim,
    intermediateSize: int('intermediate_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    ropeScaling: readRopeScaling(o.rope_scaling, problems),
    tieWordEmbeddings: bool('tie_word_embeddings', false), // LlamaConfig's, Qwen2Config's and MistralConfig's default
    qkvBias: modelType === 'qwen2' ? true : attentionBias,
    oBias: modelType === 'qwen2' ? false : attentionBias,
    mlpBias: modelType === 'qwen2' ? false : bool('mlp_bias', false),
    dropout: typeof apogee.dropout === 'number' ? apogee.dropout : 0,
    eosTokenIds: readTokenIds(eos, 'eos_token_id', problems),
  };
  if (problems.length > 0) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: not a Llama-family config apogee can read:`, {
      problems,
      hint: 'Expected a Hugging Face LlamaConfig / Qwen2Config / MistralConfig (hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, vocab_size, …).',
    });
  }
  try {
    return checkLlamaConfig(config, file);
  } catch (e) {
    if (isApogeeError(e)) throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, e.message, { problems: e.problems });
    throw e;
  }
}

function readRopeScaling(v: unknown, problems: { path: string; message: string }[]): RopeScaling | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) {
    problems.push({ path: 'rope_scaling', message: `must be an object or null, got ${JSON.stringify(v)}` });
    return null;
  }
  const s = v as Record<string, unknown>;
  const type = s.rope_type ?? s.type;
  const factor = s.factor;
  if (type === 'default') return null;
  if (typeof factor !== 'number' || !(factor > 0)) {
    problems.push({ path: 'rope_scaling.factor', message: `must be a positive number, got ${JSON.stringify(factor)}` });
    return null;
  }
  if (type === 'linear') return { type: 'linear', factor };
  if (type === 'llama3') {
    const n = (key: string): number => {
      const x = s[key];
      if (typeof x !== 'number' || !(x > 0)) problems.push({ path: `rope_scaling.${key}`, message: `must be a positive number, got ${JSON.stringify(x)}` });
      return x as number;
    };
    return { type: 'llama3', factor, lowFreqFactor: n('low_freq_factor'), highFreqFactor: n('high_freq_factor'), originalMaxPositionEmbeddings: n('original_max_position_embeddings') };
  }
  problems.push({ path: 'rope_scaling.rope_type', message: `${JSON.stringify(type)} is not supported; allowed: "default", "linear", "llama3"` });
  return null;
}
