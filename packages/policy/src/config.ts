import { ApogeeError, ERROR_CODES, isApogeeError } from '@apogee/core';

/**
 * Shape of a GPT-2-family transformer (Radford et al. 2019, "Language Models are Unsupervised
 * Multitask Learners"; sizes of Table 2). Field names follow nanoGPT; `toHfConfig` maps them to
 * the Hugging Face `GPT2Config` keys.
 */
export interface GptConfig {
  /** Token ids, special tokens included; from the tokenizer (GPT-2: 50257). */
  vocabSize: number;
  /** Context length: the most positions the learned position table has (GPT-2: 1024). */
  blockSize: number;
  /** Transformer blocks (GPT-2 small: 12). */
  nLayer: number;
  /** Attention heads per block; must divide `nEmbd` (GPT-2 small: 12). */
  nHead: number;
  /** Width of the residual stream (GPT-2 small: 768). */
  nEmbd: number;
  /** Dropout on embeddings, attention probabilities and residual branches while training. Default 0: RLHF log-prob ratios want a deterministic model. */
  dropout: number;
  /** Epsilon of every LayerNorm (GPT-2: 1e-5). */
  layerNormEpsilon: number;
  /** MLP activation: `gelu_new` is GPT-2's tanh approximation (default); `gelu` is the exact erf form. */
  activation: 'gelu_new' | 'gelu';
}

/** Defaults every preset shares. */
const BASE = { dropout: 0, layerNormEpsilon: 1e-5, activation: 'gelu_new' } as const;

/**
 * Named shapes, smallest first. `vocabSize` is replaced by the tokenizer's when a model is created
 * with one; the byte tokenizer's is used for the small presets.
 */
export const GPT_PRESETS = {
  /** Tests and toys: 2 blocks, d=64, 4 heads, context 128 (~0.1M parameters plus embeddings). */
  tiny: { ...BASE, vocabSize: 260, blockSize: 128, nLayer: 2, nHead: 4, nEmbd: 64 },
  /** The benchmark's shape a: 2 blocks, d=128, 4 heads, context 256. */
  small: { ...BASE, vocabSize: 260, blockSize: 256, nLayer: 2, nHead: 4, nEmbd: 128 },
  /** The benchmark's shape b: 4 blocks, d=256, 8 heads, context 512. */
  medium: { ...BASE, vocabSize: 260, blockSize: 512, nLayer: 4, nHead: 8, nEmbd: 256 },
  /** GPT-2 124M ("gpt2" on the Hugging Face Hub): 12 blocks, d=768, 12 heads, context 1024. */
  gpt2: { ...BASE, vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768 },
} satisfies Record<string, GptConfig>;

export type GptPresetName = keyof typeof GPT_PRESETS;

/** A full config from a preset name plus overrides; checked. */
export function gptConfig(preset: GptPresetName = 'tiny', overrides: Partial<GptConfig> = {}): GptConfig {
  const base = GPT_PRESETS[preset];
  if (!base) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Unknown GPT preset "${String(preset)}".`, {
      hint: `Use one of: ${Object.keys(GPT_PRESETS).join(', ')}.`,
    });
  }
  return checkGptConfig({ ...base, ...overrides });
}

/** Throws an ApogeeError naming every bad field. */
export function checkGptConfig(config: GptConfig, where = 'GPT config'): GptConfig {
  const problems: { path: string; message: string }[] = [];
  const positiveInt = (key: keyof GptConfig) => {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) problems.push({ path: key, message: `must be a positive integer, got ${JSON.stringify(v)}` });
  };
  (['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const).forEach(positiveInt);
  if (problems.length === 0 && config.nEmbd % config.nHead !== 0) {
    problems.push({ path: 'nHead', message: `must divide nEmbd (${config.nEmbd}), got ${config.nHead}` });
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) problems.push({ path: 'dropout', message: `must be in [0, 1), got ${config.dropout}` });
  if (!(config.layerNormEpsilon > 0)) problems.push({ path: 'layerNormEpsilon', message: `must be > 0, got ${config.layerNormEpsilon}` });
  if (config.activation !== 'gelu_new' && config.activation !== 'gelu') {
    problems.push({ path: 'activation', message: `must be "gelu_new" or "gelu", got ${JSON.stringify(config.activation)}` });
  }
  if (problems.length > 0) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${where} is invalid:`, { problems });
  }
  return config;
}

/** Hugging Face activation names that are GPT-2's tanh approximation. */
const TANH_GELUS = new Set(['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']);

/** The Hugging Face `config.json` of a GPT-2 model, with apogee's own fields under `apogee`. */
export function toHfConfig(config: GptConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: config.vocabSize,
    n_positions: config.blockSize,
    n_ctx: config.blockSize,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_embd: config.nEmbd,
    layer_norm_epsilon: config.layerNormEpsilon,
    activation_function: config.activation,
    resid_pdrop: config.dropout,
    embd_pdrop: config.dropout,
    attn_pdrop: config.dropout,
    tie_word_embeddings: true,
    apogee: { dropout: config.dropout, ...extra },
  };
}

/**
 * Read a Hugging Face GPT-2 `config.json` object. Dropout comes from `apogee.dropout` only (0 for
 * Hub checkpoints, whose `resid_pdrop` of 0.1 is meant for pre-training); see decision 0025.
 */
export function fromHfConfig(json: unknown, file: string): GptConfig {
  const bad = (message: string): never => {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: ${message}`, {
      hint: 'Expected a Hugging Face GPT-2 config.json (n_layer, n_head, n_embd, n_positions, vocab_size).',
    });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('is not a JSON object');
  const o = json as Record<string, unknown>;
  if (o.model_type !== undefined && o.model_type !== 'gpt2') bad(`model_type is ${JSON.stringify(o.model_type)}; only "gpt2" is supported`);
  const int = (key: string, fallback?: string): number => {
    const v = o[key] ?? (fallback === undefined ? undefined : o[fallback]);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(`field "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const act = o.activation_function ?? 'gelu_new';
  if (typeof act !== 'string' || (!TANH_GELUS.has(act) && act !== 'gelu')) {
    bad(`activation_function ${JSON.stringify(act)} is not supported (use gelu_new or gelu)`);
  }
  const eps = o.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) bad(`field "layer_norm_epsilon" must be a positive number, got ${JSON.stringify(eps)}`);
  const apogee = (typeof o.apogee === 'object' && o.apogee !== null ? o.apogee : {}) as Record<string, unknown>;
  const dropout = typeof apogee.dropout === 'number' ? apogee.dropout : 0;
  const config: GptConfig = {
    vocabSize: int('vocab_size'),
    blockSize: int('n_positions', 'n_ctx'),
    nLayer: int('n_layer'),
    nHead: int('n_head'),
    nEmbd: int('n_embd'),
    dropout,
    layerNormEpsilon: eps as number,
    activation: TANH_GELUS.has(act as string) ? 'gelu_new' : 'gelu',
  };
  try {
    return checkGptConfig(config, file);
  } catch (e) {
    if (isApogeeError(e)) throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, e.message, { problems: e.problems });
    throw e;
  }
}
