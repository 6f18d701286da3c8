// The README's examples, verbatim in substance: they must keep working, with no setup the README
// does not show (its backend is the import of @tensorflow/tfjs-backend-cpu).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRun, definePlugin, token, TOKENS, type LossOutput, type RewardLoss, type RewardLossInput } from '@apogee/core';
import { describeLoss } from '@apogee/testing';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { apoRewardLoss, dpoLoss } from './src';


it('README usage example runs', async () => {
  const run = await createRun({ plugins: [apoRewardLoss(), dpoLoss({ beta: 0.1 })] });
  const rm = run.resolve(TOKENS.RewardLoss);
  const rewards = tf.tensor2d([[1.2, 0.3], [0.5, 0.9]]);
  const { loss, metrics } = rm.compute({ rewards, scores: [[1, 0], [1, 0]], kinds: ['human', 'apo'] });
  // (1.0 · 2·softplus(−0.9) + 0.025 · 2·softplus(0.4)) / 4 ordered pairs
  const softplus = (x: number): number => Math.log1p(Math.exp(x));
  expect(loss.dataSync()[0]).toBeCloseTo((2 * softplus(-0.9) + 0.025 * 2 * softplus(0.4)) / 4, 5);
  expect(metrics!.accuracy.dataSync()[0]).toBe(0.5);
  await run.dispose();
});

// ---- "Write and register your own loss" ----
interface MarginOptions { margin: number }
const MARGIN_OPTIONS = token<MarginOptions>('my-losses', 'MarginOptions');
/** Pairwise hinge max(0, m − (z_chosen − z_rejected)) on [chosen, rejected] items. */
@injectable()
export class MarginRankingLoss implements RewardLoss {
  readonly name = 'margin-ranking-loss';
  constructor(@inject(MARGIN_OPTIONS) private readonly options: MarginOptions) {}
  compute({ rewards }: RewardLossInput): LossOutput {
    return tf.tidy(() => {
      const [chosen, rejected] = tf.split(rewards, 2, 1);
      const margin = tf.sub(chosen, rejected);
      return { loss: tf.mean(tf.relu(tf.sub(this.options.margin, margin))) as tf.Scalar,
               metrics: { accuracy: tf.mean(tf.cast(tf.greater(margin, 0), 'float32')) as tf.Scalar } };
    });
  }
}
export const marginRankingLoss = definePlugin<MarginOptions>('margin-ranking-loss', {
  provides: [TOKENS.RewardLoss],
  defaults: { margin: 1 },
  schema: z.object({ margin: z.number().positive() }),
  register(container, options) {
    container.register(MARGIN_OPTIONS, { useValue: options });
    container.register(TOKENS.RewardLoss, { useClass: MarginRankingLoss });
  },
});

it('README custom loss registers, resolves and computes', async () => {
  const run = await createRun({ plugins: [apoRewardLoss(), marginRankingLoss({ margin: 0.5 })] });
  const loss = run.resolve(TOKENS.RewardLoss);
  expect(loss).toBeInstanceOf(MarginRankingLoss);
  const out = loss.compute({ rewards: tf.tensor2d([[1, 0.8], [0, 1]]), scores: [[1, 0], [1, 0]], kinds: ['human', 'human'] });
  expect(out.loss.dataSync()[0]).toBeCloseTo((0.3 + 1.5) / 2, 5);
  await run.dispose();
});

describe("the README's kit call", () => {
  // The kit checks gradients, which need every op's gradient registered (initBackend() does that in an app).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  beforeAll(() => (require('./test/tf-setup') as typeof import('./test/tf-setup')).useCpuBackend());
  describeLoss(() => new MarginRankingLoss({ margin: 1 }), {
    params: () => [tf.tensor2d([[1, 0.5], [0.2, 0.7]])],
    build: ([r]) => ({ rewards: r as tf.Tensor2D, scores: [[1, 0], [1, 0]], kinds: ['human', 'human'] }),
  });
});
