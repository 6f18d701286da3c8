import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { createRun, Rng, silentLogger, TOKENS, type PromptResponse, type RewardModel } from '@apogee/core';
import { gptConfig, GptPolicy } from '@apogee/policy';
import { initBackend } from '@apogee/runtime';
import { FusedSampler, evalSampler } from '@apogee/samplers';
import { ByteTokenizer } from '@apogee/tokenizers';
import { goldJudge, goldReward, PreferenceWorld, worldDataSource } from '@apogee/world';
import { evaluatePolicy } from './evaluate-policy';
import { orderedPairs, calibration, preferenceAccuracy } from './metrics';
import { evaluator, PolicyEvaluator, RewardModelJudge } from './plugins';

/**
 * A transparent reward model for wiring checks: it scores a response by its byte length, so every
 * RM metric can be recomputed by hand. (The real RM lives in @apogee/reward; here the point is
 * that the evaluator feeds the right pairs to the right formulas.)
 */
class LengthRewardModel implements Partial<RewardModel> {
  readonly tokenizer = new ByteTokenizer();
  async score(batch: readonly PromptResponse[]): Promise<Float32Array> {
    return Float32Array.from(batch, (b) => Buffer.byteLength(b.response) / 10);
  }
  dispose() {}
}

const tokenizer = new ByteTokenizer();
const config = gptConfig('tiny', { blockSize: 96, nEmbd: 32, nHead: 4 });

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

describe('evaluatePolicy', () => {
  it('computes every metric from real generations, and KL is 0 against itself', async () => {
    const world = new PreferenceWorld({ seed: 2, rmPrompts: 8, llmPrompts: 8, testPrompts: 6, sftDemos: 10 });
    const policy = GptPolicy.create(config, tokenizer, 1);
    const rm = new LengthRewardModel() as unknown as RewardModel;
    const sampler = new FusedSampler({ temperature: 1 });
    const testItems = world.testItems();
    const before = tf.memory().numTensors;
    const report = await evaluatePolicy({
      policy, reference: policy, reward: rm, judge: { name: 'gold', score: async (b) => Float32Array.from(b, (x) => goldReward(x.prompt, x.response)) },
      prompts: world.testQueries(), humanItems: testItems, sampler, baselineGold: new Float32Array(6), rng: Rng.fromSeed(4),
      settings: { maxNewTokens: 12, policySamples: 3 },
    });
    expect(tf.memory().numTensors).toBe(before);
    const m = report.metrics;
    expect(m.kl).toBeCloseTo(0, 5); // π = π_ref
    expect(m.goldReward).toBeGreaterThanOrEqual(0);
    expect(report.samples).toHaveLength(6);
    expect(m.meanLength).toBeCloseTo(report.samples.reduce((s, x) => s + Buffer.byteLength(x.response), 0) / 6, 9);
    expect(m.proxyReward).toBeCloseTo(m.meanLength / 10, 5);
    // baseline gold all 0: every sample wins or ties
    expect(m.winRateVsSft).toBeCloseTo(report.samples.reduce((s, x) => s + (x.goldReward > 0 ? 1 : 0.5), 0) / 6, 9);
    // human metrics equal the formulas applied to length scores by hand
    const items = testItems.map((it) => ({ rewards: it.responses.map((r) => Buffer.byteLength(r) / 10), scores: it.scores }));
    expect(m.rmAccuracyHuman).toBeCloseTo(preferenceAccuracy(items), 6);
    const cal = calibration(orderedPairs(items));
    expect(m.ece).toBeCloseTo(cal.ece, 6);
    expect(m.ace).toBeCloseTo(cal.ace, 6);
    expect(m.mce).toBeCloseTo(cal.mce, 6);
    expect(report.reliabilityHuman).toHaveLength(10);
    expect(Number.isFinite(m.rmAccuracyPolicy) || Number.isNaN(m.rmAccuracyPolicy)).toBe(true);
    policy.dispose();
  });
});

describe('evaluator plugin', () => {
  it('evaluates a round inside a run with the world, the gold judge and the eval sampler', async () => {
    const policyValue = GptPolicy.create(config, tokenizer, 3);
    const reference = await policyValue.clone({ trainable: false });
    const run = await createRun({
      plugins: [worldDataSource({ rmPrompts: 6, llmPrompts: 6, testPrompts: 5, sftDemos: 10 }), goldJudge(), evalSampler(), evaluator({ policySamples: 2, maxNewTokens: 10 })],
      config: { seed: 5 },
    });
    run.check([TOKENS.Evaluator]);
    const ev = run.resolve(TOKENS.Evaluator) as PolicyEvaluator;
    const rm = new LengthRewardModel() as unknown as RewardModel;
    const ctx = { round: 1, policy: policyValue, reference, reward: rm, rng: Rng.fromSeed(1) };
    const m1 = await ev.evaluate(ctx);
    for (const key of ['goldReward', 'proxyReward', 'winRateVsSft', 'kl', 'meanLength', 'rmAccuracyHuman', 'ece', 'ace', 'mce']) {
      expect(Number.isFinite(m1.metrics[key])).toBe(true);
    }
    expect(m1.metrics.winRateVsSft).toBeGreaterThanOrEqual(0);
    expect(m1.report?.samples).toEqual(ev.history[0].report.samples);
    expect(m1.report?.reliability).toHaveLength(ev.history[0].report.reliabilityHuman.length);
    expect(ev.history).toHaveLength(1);
    expect(ev.history[0].report.samples).toHaveLength(5);
    // same inputs, same numbers
    const again = await ev.evaluate(ctx);
    expect(again).toEqual(m1);
    await run.dispose();
    policyValue.dispose();
    reference.dispose();
  });

  it('accepts a reward model as judge', async () => {
    const judge = new RewardModelJudge(new LengthRewardModel() as unknown as RewardModel, 'length');
    expect(Array.from(await judge.score([{ prompt: 'x', response: 'abcde' }]))).toEqual([Math.fround(0.5)]);
  });

  it('rejects bad options at creation', () => {
    expect(() => evaluator({ policySamples: 0 })).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'policySamples' })] }));
  });
});
