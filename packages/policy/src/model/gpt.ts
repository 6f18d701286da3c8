import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions } from '../causal-lm';
import type { GptConfig } from '../config';
import { block } from './block';
import { dropout, layerNorm, type ForwardContext } from './layers';
import type { Weights } from './weights';

/** Mask value for disallowed attention: large and finite, so fully masked rows stay NaN-free. */
export const MASKED = -1e9;

/** Inputs of a GPT-2 forward pass besides the ids (the same for every architecture). */
export type GptForwardOptions = ForwardOptions;

/**
 * GPT-2 backbone (Radford et al. 2019): token + learned position embeddings, `nLayer`
 * pre-LayerNorm blocks, final LayerNorm. `ids` is [batch, time]; returns the final hidden states
 * as [batch·time, d]. Training, scoring and KV-cache decoding (`opts.cache`) all run here.
 */
export function gptHidden(w: Weights, config: GptConfig, ids: tf.Tensor2D, opts: GptForwardOptions, ctx: ForwardContext): { hidden: tf.Tensor2D } {
  const [B, T] = ids.shape;
  const d = config.nEmbd;
  const tok = tf.gather(w.get('wte.weight'), tf.reshape(ids, [B * T]));
  const pos = opts.positions
    ? tf.gather(w.get('wpe.weight'), tf.reshape(opts.positions, [B * T]))
    : tf.slice(w.get('wpe.weight'), [0, 0], [T, d]);
  let x = dropout(opts.positions ? tf.add(tok, pos) : tf.reshape(tf.add(tf.reshape(tok, [B, T, d]), pos), [B * T, d]), ctx) as tf.Tensor2D;
  const bias = opts.cache ? undefined : opts.bias ?? causalBias(T);
  for (let i = 0; i < config.nLayer; i++) x = block(w, i, config, x, { batch: B, time: T, bias, cache: opts.cache }, ctx);
  return { hidden: layerNorm(x, w.get('ln_f.weight'), w.get('ln_f.bias'), config.layerNormEpsilon) };
}

/** Next-token logits with the output projection tied to the token embedding: [rows, vocab]. */
export function gptLogits(w: Weights, hidden: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(hidden, w.get('wte.weight'), false, true);
}

/** [1, 1, T, T] additive causal mask. */
export function causalBias(T: number): tf.Tensor4D {
  const data = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = MASKED;
  return tf.tensor4d(data, [1, 1, T, T]);
}

/**
 * [B, 1, T, T] causal mask that also hides left padding: row b's first `pad[b]` positions are never
 * attended to (a padded query still sees itself, so its softmax stays finite; its output is unused).
 */
export function leftPaddedCausalBias(pad: readonly number[], T: number): tf.Tensor4D {
  const B = pad.length;
  const data = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      const row = (b * T + i) * T;
      for (let j = 0; j < T; j++) if (j > i || (j < pad[b] && j !== i)) data[row + j] = MASKED;
    }
  }
  return tf.tensor4d(data, [B, 1, T, T]);
}
