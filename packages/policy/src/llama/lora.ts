import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, Rng } from '@apogee/core';
import { dropout, type ForwardContext } from '../model/layers';
import { Weights } from '../model/weights';
import type { LlamaConfig } from './config';

/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): each targeted
 * projection W (`[out, in]`) gets a trainable update (α/r)·B·A with A `[r, in]`, B `[out, r]`,
 * B = 0 at the start (so the adapted model starts as the base model, eq. 3 and §4.1), W frozen.
 * Field names follow PEFT's `LoraConfig`, so `adapter_config.json` round-trips.
 */
export interface LoraConfig {
  /** Rank r of the update (PEFT `r`; common: 8–64). */
  r: number;
  /** Scale numerator α: the update is multiplied by α/r (PEFT `lora_alpha`; default 2r). */
  alpha: number;
  /** Dropout on the adapter's input while training (PEFT `lora_dropout`; default 0). */
  dropout: number;
  /** Projections to adapt, by the last part of their name (PEFT `target_modules`; default q_proj, k_proj, v_proj, o_proj). */
  targetModules: string[];
}

/** The projections of a Llama-family block that LoRA can target. */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

/** A full LoRA config from a partial one; errors name the field and its allowed values. */
export function loraConfig(partial: Partial<LoraConfig> & { r: number }): LoraConfig {
  const c: LoraConfig = { alpha: 2 * partial.r, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], ...partial };
  const problems: { path: string; message: string }[] = [];
  if (!Number.isInteger(c.r) || c.r < 1) problems.push({ path: 'r', message: `must be an integer ≥ 1, got ${JSON.stringify(c.r)}` });
  if (!(c.alpha > 0)) problems.push({ path: 'alpha', message: `must be > 0, got ${JSON.stringify(c.alpha)}` });
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push({ path: 'dropout', message: `must be in [0, 1), got ${JSON.stringify(c.dropout)}` });
  const bad = c.targetModules.filter((m) => !(LORA_TARGETS as readonly string[]).includes(m));
  if (c.targetModules.length === 0 || bad.length > 0) {
    problems.push({ path: 'targetModules', message: `must be a non-empty list of ${LORA_TARGETS.join(', ')}; got ${JSON.stringify(c.targetModules)}` });
  }
  if (problems.length > 0) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'LoRA config is invalid:', { problems });
  return c;
}

/** Names of the projections (`model.layers.N.self_attn.q_proj`, …) an adapter of `config` covers. */
export function loraTargets(model: LlamaConfig, config: LoraConfig): string[] {
  const mlp = new Set(['gate_proj', 'up_proj', 'down_proj']);
  const out: string[] = [];
  for (let i = 0; i < model.nLayer; i++) {
    for (const m of config.targetModules) out.push(`model.layers.${i}.${mlp.has(m) ? 'mlp' : 'self_attn'}.${m}`);
  }
  return out;
}

/**
 * The adapter's parameters (`<projection>.lora_A.weight`, `<projection>.lora_B.weight`) and its
 * switch. Disabled, the model is exactly its base: the DPO reference of a LoRA policy needs no copy.
 */
export class LoraAdapter {
  /** Whether forward passes add the update (a disabled adapter leaves the base model). */
  enabled = true;
  readonly scale: number;

  constructor(
    readonly config: LoraConfig,
    readonly weights: Weights,
  ) {
    this.scale = config.alpha / config.r;
  }

  /**
   * A fresh adapter for `model`'s projections: A ~ U(−1/√in, 1/√in) (PEFT's Kaiming-uniform with
   * a = √5), B = 0, from `seed`.
   */
  static create(model: LlamaConfig, config: LoraConfig, shapes: ReadonlyMap<string, number[]>, seed: number): LoraAdapter {
    const rng = Rng.fromSeed(seed, 'lora/init');
    const weights = new Weights(true, 'lora');
    for (const p of loraTargets(model, config)) {
      const [out, inp] = shapes.get(`${p}.weight`)!;
      const bound = 1 / Math.sqrt(inp);
      weights.add(`${p}.lora_A.weight`, tf.randomUniform([config.r, inp], -bound, bound, 'float32', rng.seed()));
      weights.add(`${p}.lora_B.weight`, tf.zeros([out, config.r]));
    }
    return new LoraAdapter(config, weights);
  }

  /** Whether `prefix` (a projection name) is adapted. */
  covers(prefix: string): boolean {
    return this.weights.has(`${prefix}.lora_A.weight`);
  }

  /** `y + (α/r)·(dropout(x)·Aᵀ)·Bᵀ` for projection `prefix`. */
  apply(prefix: string, x: tf.Tensor2D, y: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    const a = this.weights.get(`${prefix}.lora_A.weight`) as tf.Tensor2D;
    const b = this.weights.get(`${prefix}.lora_B.weight`) as tf.Tensor2D;
    const xin = dropout(x, { ...ctx, dropout: this.config.dropout });
    return tf.add(y, tf.mul(tf.matMul(tf.matMul(xin, a, false, true), b, false, true), this.scale));
  }

  /** W + (α/r)·B·A for projection `prefix` (merging). */
  merged(prefix: string, w: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(w, tf.mul(tf.matMul(this.weights.get(`${prefix}.lora_B.weight`), this.weights.get(`${prefix}.lora_A.weight`)), this.scale)));
  }

  /** An independent copy (same config and switch). */
  clone(trainable = true): LoraAdapter {
    const weights = new Weights(trainable, 'lora');
    for (const [name, v] of this.weights.entries()) weights.add(name, tf.clone(v));
    const copy = new LoraAdapter(this.config, weights);
    copy.enabled = this.enabled;
    return copy;
  }

  dispose(): void {
    this.weights.dispose();
  }
}
