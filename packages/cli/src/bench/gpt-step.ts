/**
 * The GPT training step the benchmark times, shared by `npm run bench` (bench/run.ts imports it
 * from @apogee/cli) and `apogee bench`, so both report the same step: `@apogee/policy`'s GPT-2
 * model (pre-LayerNorm, tanh GELU, tied embeddings) with its AdamW optimizer (global-norm clipping
 * at 1.0), next-token cross-entropy on fixed tokens. `bench/reference/torch_bench.py` mirrors it
 * in PyTorch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AdamWOptimizer } from '@apogee/model-kit';
import { GptModel, gptConfig } from '@apogee/policy';
import { logSumExpRows, type GptBenchShape, type GptStep } from '@apogee/runtime';

export async function gptBenchStep(shape: GptBenchShape): Promise<GptStep> {
  const config = gptConfig('tiny', {
    vocabSize: shape.vocab, nLayer: shape.layers, nHead: shape.heads, nEmbd: shape.d, blockSize: shape.time,
  });
  const model = GptModel.create(config, 1);
  const optimizer = new AdamWOptimizer(
    { lr: 3e-4, weightDecay: 0.01, schedule: 'constant' },
    model.weights.entries().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 })),
  );
  const B = shape.batch;
  const T = shape.time;
  // Fixed tokens: a deterministic pattern over the vocabulary (inputs and next-token targets).
  const tokens = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7919 + (i >> 3)) % shape.vocab);
  const ids = tf.tensor2d(Array.from({ length: B }, (_, b) => Array.from(tokens.subarray(b * (T + 1), b * (T + 1) + T))), [B, T], 'int32');
  const targets = tf.tensor1d(Array.from({ length: B }, (_, b) => Array.from(tokens.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)))).flat(), 'int32');
  return {
    async step() {
      await optimizer.trainStep(() => {
        const { hidden } = model.hidden(ids, {}, true);
        // Cross-entropy as @apogee/policy's sequenceLogProbs computes log p(y): logsumexp of the
        // logits (a fused op) minus the target logit h·e_y (tied embeddings), so the step times
        // the loss path the policy's trainers run. Same value as log-softmax + one-hot.
        const targetLogits = tf.sum(tf.mul(hidden, tf.gather(model.weights.get('wte.weight'), targets)), 1);
        return { loss: tf.mean(tf.sub(logSumExpRows(model.logits(hidden)), targetLogits)) as tf.Scalar };
      });
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
      tf.dispose([ids, targets]);
    },
  };
}
