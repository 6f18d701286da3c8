import * as tf from '@tensorflow/tfjs-core';
import { AdamWOptimizer, GptModel, gptConfig } from '@apogee/policy';
import type { GptBenchShape, GptStep } from '@apogee/runtime';

/**
 * One GPT training step for `apogee bench`: @apogee/policy's GPT-2 model with its AdamW
 * optimizer, next-token cross-entropy on fixed tokens. It matches what the repository's
 * bench/gpt-step.ts times (and bench/reference/torch_bench.py mirrors in PyTorch), so the CLI
 * reports the same numbers as `npm run bench`.
 */
export async function gptBenchStep(shape: GptBenchShape): Promise<GptStep> {
  const config = gptConfig('tiny', { vocabSize: shape.vocab, nLayer: shape.layers, nHead: shape.heads, nEmbd: shape.d, blockSize: shape.time });
  const model = GptModel.create(config, 1);
  const optimizer = new AdamWOptimizer(
    { lr: 3e-4, weightDecay: 0.01, schedule: 'constant' },
    model.weights.entries().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 })),
  );
  const B = shape.batch;
  const T = shape.time;
  // Deterministic tokens over the vocabulary: row b holds tokens[b(T+1) … b(T+1)+T].
  const tokens = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7919 + (i >> 3)) % shape.vocab);
  const row = (b: number, from: number) => Array.from(tokens.subarray(b * (T + 1) + from, b * (T + 1) + from + T));
  const ids = tf.tensor2d(Array.from({ length: B }, (_, b) => row(b, 0)), [B, T], 'int32');
  const targets = tf.tensor1d(Array.from({ length: B }, (_, b) => row(b, 1)).flat(), 'int32');
  const oneHot = tf.oneHot(targets, shape.vocab);
  return {
    async step() {
      await optimizer.trainStep(() => {
        const { hidden } = model.hidden(ids, {}, true);
        const logp = tf.logSoftmax(model.logits(hidden));
        return { loss: tf.neg(tf.mean(tf.sum(tf.mul(logp, oneHot), -1))) as tf.Scalar };
      });
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
      tf.dispose([ids, targets, oneHot]);
    },
  };
}
