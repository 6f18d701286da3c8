/**
 * A custom pipeline in code: the RJS-APO preset plus two plugins of your own, a sampler and a
 * reward-model loss, swapped in through their tokens (the last registration of a token wins).
 *
 *   npx tsx --conditions=@apogee/source examples/custom-pipeline.ts runs/custom
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { createRun, definePlugin, TOKENS, type GameResult, type LossOutput, type RewardLoss, type RewardLossInput, type RoundCallback, type Sampler, type SamplerStep } from '@apogee/core';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { initBackend } from '@apogee/runtime';
import { TemperatureSampler } from '@apogee/samplers';
import { byteTokenizer } from '@apogee/tokenizers';
import rjsApo from '@apogee/variant-rjs-apo';
import { worldDataSource } from '@apogee/world';

/** Your sampler: the built-in temperature sampler, but some characters can never be generated. */
export const bannedCharsSampler = definePlugin<{ banned: string; temperature: number }>('banned-chars-sampler', {
  provides: [TOKENS.Sampler],
  defaults: { banned: '\n', temperature: 1 },
  register(container, o) {
    const inner = new TemperatureSampler(o.temperature);
    const banned = [...new TextEncoder().encode(o.banned)]; // byte tokenizer: id = byte value
    const sampler: Sampler = {
      name: 'banned-chars',
      next(step: SamplerStep) {
        for (let r = 0; r < step.batch; r++) for (const id of banned) step.logits[r * step.vocab + id] = -Infinity;
        return inner.next(step);
      },
    };
    container.register(TOKENS.Sampler, { useValue: sampler });
  },
});

/** Your RM loss: a margin (hinge) loss on every golden ≻ sample and human pair, APO items down-weighted. */
export const hingeRewardLoss = definePlugin<{ margin: number; apoWeight: number }>('hinge-reward-loss', {
  provides: [TOKENS.RewardLoss],
  defaults: { margin: 1, apoWeight: 0.25 },
  register(container, o) {
    const loss: RewardLoss = {
      name: 'hinge-reward-loss',
      compute({ rewards, scores, kinds }: RewardLossInput): LossOutput {
        // Items here are pairs [better, worse] (scores [1, 0]); weight each by its kind.
        const weights = tf.tensor1d(kinds.map((k, i) => (scores[i][0] > scores[i][1] ? 1 : -1) * (k === 'apo' ? o.apoWeight : 1)));
        return tf.tidy(() => {
          const [better, worse] = tf.split(rewards, 2, 1);
          const diff = tf.mul(tf.reshape(tf.sub(better, worse), [-1]), tf.sign(weights));
          const hinge = tf.relu(tf.sub(o.margin, diff));
          const loss = tf.div(tf.sum(tf.mul(hinge, tf.abs(weights))), tf.sum(tf.abs(weights))) as tf.Scalar;
          return { loss, metrics: { margin: tf.mean(diff) as tf.Scalar } };
        });
      },
    };
    container.register(TOKENS.RewardLoss, { useValue: loss });
  },
});

/** Play two rounds of RJS-APO with both custom plugins; `onSamples` sees every sample. */
export async function runCustomPipeline(outDir: string, listener: RoundCallback = {}): Promise<GameResult> {
  await initBackend();
  const run = await createRun({
    config: { seed: 7, outDir, game: { rounds: 2, samplesPerQuery: 2, maxNewTokens: 12 } },
    plugins: [
      byteTokenizer(),
      gptPolicy({ config: { nLayer: 1, nEmbd: 32, nHead: 2 } }),
      gptReward(),
      worldDataSource({ rmPrompts: 4, llmPrompts: 4, sftDemos: 8 }),
      rjsApo({ game: { rm: { lr: 1e-3, batchSize: 8, schedule: 'constant' } }, update: { lr: 1e-3, schedule: 'constant' } }),
      bannedCharsSampler({ banned: '\n0123456789' }), // after the preset: these two win
      hingeRewardLoss({ margin: 0.5 }),
      { name: 'listener', provides: [TOKENS.RoundCallback], options: {}, register: (c) => c.register(TOKENS.RoundCallback, { useValue: listener }) },
    ],
  });
  try {
    return await run.resolve(TOKENS.GameController).run();
  } finally {
    await run.dispose();
  }
}

if (require.main === module) {
  runCustomPipeline(process.argv[2] ?? 'runs/custom-pipeline').then((r) => console.log(JSON.stringify(r.metrics, null, 2)));
}
