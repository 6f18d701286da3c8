import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { ERROR_CODES, silentLogger } from '@apogee/core';
import { ByteTokenizer } from '@apogee/tokenizers';
import { gptConfig } from './config';
import { GptPolicy } from './gpt-policy';
import { AdamWOptimizer, learningRateAt, resolveOptimizerConfig } from './optimizer';

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

describe('learning-rate schedule', () => {
  const at = (c: Parameters<typeof resolveOptimizerConfig>[0], steps: number[]) => steps.map((s) => learningRateAt(resolveOptimizerConfig(c), s));
  it('warms up linearly from 0, then decays linearly or by cosine to minLrRatio·lr at totalSteps', () => {
    // Linear: full rate on the first step after warm-up (5), 1/8 of it on the last scheduled step (12).
    expect(at({ lr: 1, warmupSteps: 4, totalSteps: 12 }, [1, 4, 5, 9, 12, 13, 20])).toEqual([0.25, 1, 1, 0.5, 0.125, 0, 0]);
    // A one-step schedule still trains (at the full rate).
    expect(at({ lr: 1, totalSteps: 1 }, [1])).toEqual([1]);
    const cos = at({ lr: 1, warmupSteps: 0, totalSteps: 10, schedule: 'cosine', minLrRatio: 0.1 }, [1, 6, 11]);
    expect(cos[0]).toBeCloseTo(1);
    expect(cos[1]).toBeCloseTo(0.55);
    expect(cos[2]).toBeCloseTo(0.1);
    expect(at({ lr: 2, warmupSteps: 2, schedule: 'constant', totalSteps: 5 }, [1, 3, 100])).toEqual([1, 2, 2]);
    expect(at({ lr: 2 }, [1, 1000])).toEqual([2, 2]); // no totalSteps: no decay
  });
  it('rejects bad fields, naming each', () => {
    expect(() => resolveOptimizerConfig({ lr: -1, beta1: 1, schedule: 'step' as never })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.INVALID_ARGUMENT, problems: expect.arrayContaining([expect.objectContaining({ path: 'lr' }), expect.objectContaining({ path: 'beta1' }), expect.objectContaining({ path: 'schedule' })]) }),
    );
  });
});

describe('AdamWOptimizer', () => {
  it('matches a hand-computed AdamW step with clipping and decoupled decay', async () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]));
    const b = tf.variable(tf.tensor1d([0.5]));
    const opt = new AdamWOptimizer({ lr: 0.1, weightDecay: 0.5, gradClip: 1 }, [
      { name: 'w', variable: w, decay: true },
      { name: 'b', variable: b, decay: false },
    ]);
    // loss = 3·w0 + 4·w1 + 0·b → gradients (3, 4) and 0; norm 5, clipped to 1 → (0.6, 0.8).
    const r = await opt.trainStep(() => ({ loss: tf.add(tf.sum(tf.mul(w, tf.tensor2d([[3, 4]]))), tf.mul(tf.sum(b), 0)) as tf.Scalar }));
    expect(r).toMatchObject({ step: 1, lr: 0.1 });
    expect(r.gradNorm).toBeCloseTo(5, 5);
    // Step 1: m̂ = g, v̂ = g², update = lr·g/(|g| + ε) = ±0.1; decay scales w by 1 − 0.1·0.5.
    const got = Array.from(await w.data());
    expect(got[0]).toBeCloseTo(1 * 0.95 - 0.1, 5);
    expect(got[1]).toBeCloseTo(-2 * 0.95 - 0.1, 5);
    expect((await b.data())[0]).toBeCloseTo(0.5, 6); // zero gradient, no decay on biases
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('refuses a non-finite loss without touching the parameters', async () => {
    const w = tf.variable(tf.tensor1d([1]));
    const opt = new AdamWOptimizer({ lr: 0.1 }, [{ name: 'w', variable: w, decay: true }]);
    await expect(opt.trainStep(() => ({ loss: tf.div(tf.sum(w), 0) as tf.Scalar }))).rejects.toMatchObject({ code: ERROR_CODES.NON_FINITE });
    expect((await w.data())[0]).toBe(1);
    expect(opt.step).toBe(0);
    opt.dispose();
    w.dispose();
  });
});

describe('AdamWOptimizer.trainStep on a failing loss (issue 17 item 10)', () => {
  it('a loss that throws after computing leaks no tensor and the error passes through', async () => {
    const w = tf.variable(tf.tensor2d([[1, -2], [0.5, 3]]));
    const opt = new AdamWOptimizer({ lr: 0.1 }, [{ name: 'w', variable: w, decay: true }]);
    const before = tf.memory().numTensors;
    const boom = new Error('loss failed');
    await expect(
      opt.trainStep(() => {
        const h = tf.relu(tf.matMul(w, tf.tensor2d([[1], [2]])));
        tf.sum(tf.exp(h));
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(tf.memory().numTensors).toBe(before);
    expect(opt.step).toBe(0);
    opt.dispose();
    w.dispose();
  });

  it('a loss not connected to the parameters is a clear error, with no leak', async () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const opt = new AdamWOptimizer({ lr: 0.1 }, [{ name: 'w', variable: w, decay: true }]);
    const before = tf.memory().numTensors;
    await expect(opt.trainStep(() => ({ loss: tf.sum(tf.tensor1d([3, 4])) as tf.Scalar, metrics: { m: tf.scalar(1) } }))).rejects.toMatchObject({
      code: ERROR_CODES.INVALID_ARGUMENT,
      message: expect.stringMatching(/does not depend on any trained parameter/),
    });
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    w.dispose();
  });
});

describe('GptPolicy.trainStep on a failing loss', () => {
  it('a loss that throws after the forward pass leaks none of its activations', async () => {
    const policy = GptPolicy.create(gptConfig('tiny', { blockSize: 32, nEmbd: 16, nHead: 2 }), new ByteTokenizer(), 1);
    policy.setOptimizer({ lr: 1e-3 });
    const batch = [{ prompt: 'Hi', response: ' there' }];
    const before = tf.memory().numTensors;
    await expect(
      policy.trainStep((forward) => {
        forward.responseLogProbs(batch);
        throw new Error('loss failed');
      }),
    ).rejects.toThrow('loss failed');
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });
});
