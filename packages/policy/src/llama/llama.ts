import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions } from '../causal-lm';
import { causalBias } from '../model/gpt';
import { dropout, type ForwardContext } from '../model/layers';
import type { Weights } from '../model/weights';
import { llamaBlock } from './block';
import type { LlamaConfig } from './config';
import { rmsNorm } from './rms-norm';
import { ropeTable } from './rope';

/**
 * Llama-family backbone: token embedding (no position table: positions enter through the rotary
 * embeddings of every block), `nLayer` pre-RMSNorm blocks, final RMSNorm. `ids` is [batch, time];
 * returns the final hidden states [batch·time, d]. Training, scoring and KV-cache decoding
 * (`opts.cache`) all run here.
 */
export function llamaHidden(w: Weights, c: LlamaConfig, freqs: Float32Array, ids: tf.Tensor2D, opts: ForwardOptions, ctx: ForwardContext): { hidden: tf.Tensor2D } {
  const [B, T] = ids.shape;
  let x = dropout(tf.gather(w.get('model.embed_tokens.weight'), tf.reshape(ids, [B * T])), ctx) as tf.Tensor2D;
  const positions = opts.positions ? tf.reshape(opts.positions, [B * T]) as tf.Tensor1D : tf.tile(tf.range(0, T, 1, 'int32'), [B]) as tf.Tensor1D;
  const rope = ropeTable(positions, freqs);
  const bias = opts.cache ? undefined : opts.bias ?? causalBias(T);
  for (let i = 0; i < c.nLayer; i++) x = llamaBlock(w, i, c, x, { batch: B, time: T, bias, rope, cache: opts.cache }, ctx);
  return { hidden: rmsNorm(x, w.get('model.norm.weight'), c.rmsNormEps) };
}

/** The output projection: `lm_head.weight`, or the token embedding when tied. */
export function llamaOutputEmbedding(w: Weights, c: LlamaConfig): tf.Tensor2D {
  return w.get(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight') as tf.Tensor2D;
}
