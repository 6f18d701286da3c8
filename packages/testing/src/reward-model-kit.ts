import * as tf from '@tensorflow/tfjs-core';
import type { PolicyModel, PromptResponse, RewardFactory, RewardForward, RewardModel } from '@apogee/core';
import { expectNoTensorLeak, makeTempDir } from './helpers';

export interface DescribeRewardModelOptions {
  /** A small policy for `fromPolicy` (the kit disposes it). */
  policy: () => Promise<PolicyModel>;
  /** Runs once before the suite (e.g. `initBackend()`; training needs gradients registered). */
  setup?: () => Promise<void>;
  /** Learning rate of the training check (default 1e-2). */
  lr?: number;
  /** Title (default `reward model conformance`). */
  title?: string;
}

/** A toy preference task: the chosen response says "good", the rejected one "bad". */
const PAIRS = [
  { prompt: 'Q1:', chosen: ' good', rejected: ' bad' },
  { prompt: 'Q2:', chosen: ' good good', rejected: ' bad bad' },
  { prompt: 'How?', chosen: ' it is good', rejected: ' it is bad' },
  { prompt: '', chosen: 'good', rejected: 'bad' },
];
const CHOSEN: PromptResponse[] = PAIRS.map((p) => ({ prompt: p.prompt, response: p.chosen }));
const REJECTED: PromptResponse[] = PAIRS.map((p) => ({ prompt: p.prompt, response: p.rejected }));

/** Bradley–Terry loss −log σ(r_chosen − r_rejected), written as softplus(−margin), with pair accuracy. */
function btLoss(f: RewardForward) {
  const r = f.rewards([...CHOSEN, ...REJECTED]);
  const margin = tf.sub(tf.slice(r, 0, PAIRS.length), tf.slice(r, PAIRS.length, PAIRS.length));
  return { loss: tf.mean(tf.softplus(tf.neg(margin))) as tf.Scalar, metrics: { accuracy: tf.mean(tf.cast(tf.greater(margin, 0), 'float32')) as tf.Scalar } };
}

async function accuracy(rm: RewardModel): Promise<number> {
  const s = await rm.score([...CHOSEN, ...REJECTED]);
  let right = 0;
  for (let i = 0; i < PAIRS.length; i++) if (s[i] > s[i + PAIRS.length]) right++;
  return right / PAIRS.length;
}

/**
 * The conformance kit for `RewardModel` implementations (`@apogee/core`): `fromPolicy` copies the
 * backbone (training the RM leaves the policy alone) and seeds the head, batched scores do not
 * depend on batch neighbours, a Bradley–Terry train step on a toy task raises pair accuracy, clones
 * and save → load reproduce scores, no tensor leaks.
 */
export function describeRewardModel(factory: () => RewardFactory | Promise<RewardFactory>, options: DescribeRewardModelOptions): void {
  describe(options.title ?? 'reward model conformance', () => {
    let f: RewardFactory;
    let policy: PolicyModel;
    let rm: RewardModel;
    beforeAll(async () => {
      await options.setup?.();
      f = await factory();
      policy = await options.policy();
      rm = await f.fromPolicy(policy, { seed: 1 });
    });
    afterAll(async () => {
      await rm?.dispose();
      await policy?.dispose();
    });

    it('fromPolicy uses the policy tokenizer and seeds the head', async () => {
      expect(rm.tokenizer.vocabSize).toBe(policy.tokenizer.vocabSize);
      const same = await f.fromPolicy(policy, { seed: 1 });
      const other = await f.fromPolicy(policy, { seed: 2 });
      const s = await rm.score(CHOSEN);
      expect(Array.from(await same.score(CHOSEN))).toEqual(Array.from(s));
      expect(Array.from(await other.score(CHOSEN))).not.toEqual(Array.from(s));
      await same.dispose();
      await other.dispose();
    });

    it('score: one finite number per pair, independent of batch size and neighbours', async () => {
      const all = [...CHOSEN, ...REJECTED];
      const s = await rm.score(all, { batchSize: 3 });
      expect(s).toHaveLength(all.length);
      for (const x of s) expect(Number.isFinite(x)).toBe(true);
      for (let i = 0; i < all.length; i++) expect(Math.abs((await rm.score([all[i]]))[0] - s[i])).toBeLessThan(1e-4);
    });

    it('a Bradley–Terry train step raises pair accuracy on a toy task and leaves the policy alone', async () => {
      const student = await f.fromPolicy(policy, { seed: 3 });
      const before = await policy.logProbs(CHOSEN);
      student.setOptimizer({ lr: options.lr ?? 1e-2 });
      const first = await student.trainStep(btLoss);
      expect(first.step).toBe(1);
      expect(Number.isFinite(first.loss) && first.gradNorm > 0).toBe(true);
      expect(first.metrics.accuracy).toBeGreaterThanOrEqual(0);
      let last = first;
      for (let i = 0; i < 15; i++) last = await student.trainStep(btLoss);
      expect(last.loss).toBeLessThan(first.loss);
      expect(await accuracy(student)).toBe(1);
      expect(Array.from((await policy.logProbs(CHOSEN)).sum)).toEqual(Array.from(before.sum));
      await student.dispose();
    });

    it('clone() is equal and independent; save → load restores the scores', async () => {
      const copy = await rm.clone();
      expect(Array.from(await copy.score(CHOSEN))).toEqual(Array.from(await rm.score(CHOSEN)));
      copy.setOptimizer({ lr: 1e-2 });
      await copy.trainStep(btLoss);
      expect(Array.from(await copy.score(CHOSEN))).not.toEqual(Array.from(await rm.score(CHOSEN)));
      const tmp = makeTempDir('apogee-reward-kit-');
      try {
        await copy.save(tmp.dir);
        const loaded = await f.load(tmp.dir);
        expect(Array.from(await loaded.score(CHOSEN))).toEqual(Array.from(await copy.score(CHOSEN)));
        await loaded.dispose();
      } finally {
        tmp.cleanup();
      }
      await copy.dispose();
    });

    it('keeps tf.memory().numTensors stable across score and trainStep and frees everything on dispose', async () => {
      const before = tf.memory().numTensors;
      const m = await f.fromPolicy(policy, { seed: 4 });
      m.setOptimizer({ lr: 1e-3 });
      const round = async () => {
        await m.score([...CHOSEN, ...REJECTED], { batchSize: 3 });
        await m.trainStep(btLoss);
      };
      await expectNoTensorLeak(tf, round, 2);
      await m.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
