import * as tf from '@tensorflow/tfjs-core';
import { Rng, type PolicyFactory, type PolicyModel, type PromptResponse, type Sampler, type Tokenizer } from '@apogee/core';
import { expectNoTensorLeak, makeTempDir } from './helpers';
import { kitAncestralSampler as ancestral, kitGreedySampler as greedy } from './kit-samplers';

export interface DescribePolicyModelOptions {
  /** The tokenizer new models are created with. */
  tokenizer: () => Tokenizer;
  /** Runs once before the suite (e.g. `initBackend()`; training needs gradients registered). */
  setup?: () => Promise<void>;
  /** Learning rate for the training check (default 1e-2; tiny models need a large one). */
  lr?: number;
  /** Title (default `policy model conformance`). */
  title?: string;
}

const PAIRS: PromptResponse[] = [
  { prompt: '\n\nHuman: What is 2+2?\n\nAssistant:', response: ' 4.' },
  { prompt: 'Q:', response: ' a longer answer than the other one' },
  { prompt: '', response: 'empty prompt' },
];

/**
 * The conformance kit for `PolicyModel` implementations (`@apogee/core`): shapes and masking of
 * log-probs, generation (n samples, determinism, stop sequences, length limit, log-probs under the
 * unmodified distribution), a train step that lowers its loss, frozen clones, save → load, and no
 * tensor leaks. Keep the model tiny: the kit runs real forward and backward passes.
 *
 * ```ts
 * describePolicyModel(() => new GptPolicyFactory({ preset: 'tiny', ... }), { tokenizer: () => new ByteTokenizer(), setup: () => initBackend() });
 * ```
 */
export function describePolicyModel(factory: () => PolicyFactory | Promise<PolicyFactory>, options: DescribePolicyModelOptions): void {
  describe(options.title ?? 'policy model conformance', () => {
    let f: PolicyFactory;
    let model: PolicyModel;
    beforeAll(async () => {
      await options.setup?.();
      f = await factory();
      model = await f.create({ tokenizer: options.tokenizer(), seed: 11 });
    });
    afterAll(async () => {
      await model?.dispose();
    });

    it('creates models with the given tokenizer, deterministically from the seed', async () => {
      expect(model.tokenizer.vocabSize).toBe(options.tokenizer().vocabSize);
      const twin = await f.create({ tokenizer: options.tokenizer(), seed: 11 });
      const other = await f.create({ tokenizer: options.tokenizer(), seed: 12 });
      const a = await model.logProbs(PAIRS);
      expect(Array.from((await twin.logProbs(PAIRS)).sum)).toEqual(Array.from(a.sum));
      expect(Array.from((await other.logProbs(PAIRS)).sum)).not.toEqual(Array.from(a.sum));
      await twin.dispose();
      await other.dispose();
    });

    it('logProbs: one finite, non-positive sum per pair, EOS counted, independent of batch neighbours', async () => {
      const lp = await model.logProbs(PAIRS, { batchSize: 2 });
      expect(lp.sum).toHaveLength(PAIRS.length);
      expect(lp.count).toHaveLength(PAIRS.length);
      for (let i = 0; i < PAIRS.length; i++) {
        expect(Number.isFinite(lp.sum[i])).toBe(true);
        expect(lp.sum[i]).toBeLessThan(0);
        expect(lp.count[i]).toBe(model.tokenizer.encode(PAIRS[i].response).length + 1);
        const alone = await model.logProbs([PAIRS[i]]);
        expect(Math.abs(alone.sum[0] - lp.sum[i])).toBeLessThan(1e-3);
      }
    });

    it('generate: n samples per prompt, ids and log-probs aligned, deterministic for the same RNG', async () => {
      const opts = { sampler: ancestral, maxNewTokens: 6, n: 3 };
      const a = await model.generate(['Hello', 'A'], { ...opts, rng: Rng.fromSeed(3) });
      const b = await model.generate(['Hello', 'A'], { ...opts, rng: Rng.fromSeed(3) });
      expect(b).toEqual(a);
      expect(a).toHaveLength(2);
      for (const samples of a) {
        expect(samples).toHaveLength(3);
        for (const g of samples) {
          expect(g.tokenIds.length).toBeLessThanOrEqual(6);
          expect(g.logProbs).toHaveLength(g.tokenIds.length);
          for (const x of g.logProbs) expect(x).toBeLessThanOrEqual(1e-6);
          expect(['eos', 'stop', 'length']).toContain(g.finishReason);
          if (g.finishReason === 'length') expect(g.tokenIds).toHaveLength(6);
          expect(g.tokenIds).not.toContain(model.tokenizer.eosId);
        }
      }
    });

    it('generate: stop sequences are cut from the text and ids; greedy log-probs are the model\'s own', async () => {
      const script = [...model.tokenizer.encode('ok\nHuman: more'), model.tokenizer.eosId];
      const scripted: Sampler = { name: 'kit-scripted', next: (s) => Int32Array.from(s.generated.map((g) => script[Math.min(g.length, script.length - 1)])) };
      const [[g]] = await model.generate(['x'], { sampler: scripted, rng: Rng.fromSeed(1), maxNewTokens: 20, stop: ['\nHuman'] });
      expect(g.finishReason).toBe('stop');
      expect(g.text).toBe('ok');
      expect(model.tokenizer.decode(g.tokenIds)).toBe('ok');
      const [[h]] = await model.generate(['x'], { sampler: greedy, rng: Rng.fromSeed(1), maxNewTokens: 4 });
      // Greedy picks the most likely id, so each log-prob is the row maximum: ≥ log(1/vocab).
      for (const x of h.logProbs) expect(x).toBeGreaterThanOrEqual(Math.log(1 / model.tokenizer.vocabSize) - 1e-4);
    });

    it('trainStep lowers the loss it minimises and reports step, lr, gradNorm and metrics', async () => {
      const student = await f.create({ tokenizer: options.tokenizer(), seed: 5 });
      student.setOptimizer({ lr: options.lr ?? 1e-2, warmupSteps: 1 });
      const target = [{ prompt: 'Say yes:', response: ' yes' }];
      const loss = (fwd: { responseLogProbs: (b: readonly PromptResponse[]) => { sum: tf.Tensor1D; count: tf.Tensor1D } }) => {
        const lp = fwd.responseLogProbs(target);
        return { loss: tf.neg(tf.mean(tf.div(lp.sum, lp.count))) as tf.Scalar, metrics: { tokens: tf.sum(lp.count) as tf.Scalar } };
      };
      const first = await student.trainStep(loss);
      expect(first.step).toBe(1);
      expect(first.lr).toBeCloseTo(options.lr ?? 1e-2, 10);
      expect(first.gradNorm).toBeGreaterThan(0);
      expect(first.metrics.tokens).toBe(model.tokenizer.encode(' yes').length + 1);
      let last = first;
      for (let i = 0; i < 8; i++) last = await student.trainStep(loss);
      expect(last.step).toBe(9);
      expect(last.loss).toBeLessThan(first.loss);
      await student.dispose();
    });

    it('clone({ trainable: false }) is an equal, frozen copy that does not follow the original', async () => {
      const original = await f.create({ tokenizer: options.tokenizer(), seed: 6 });
      const frozen = await original.clone({ trainable: false });
      const before = await frozen.logProbs(PAIRS);
      expect(Array.from((await original.logProbs(PAIRS)).sum)).toEqual(Array.from(before.sum));
      await expect(frozen.trainStep((fwd) => ({ loss: tf.neg(tf.mean(fwd.responseLogProbs(PAIRS).sum)) as tf.Scalar }))).rejects.toThrow();
      original.setOptimizer({ lr: 1e-2 });
      await original.trainStep((fwd) => ({ loss: tf.neg(tf.mean(fwd.responseLogProbs(PAIRS).sum)) as tf.Scalar }));
      expect(Array.from((await frozen.logProbs(PAIRS)).sum)).toEqual(Array.from(before.sum));
      await frozen.dispose();
      await original.dispose();
    });

    it('save → load restores the same log-probs and generations', async () => {
      const tmp = makeTempDir('apogee-policy-kit-');
      try {
        await model.save(tmp.dir);
        const loaded = await f.load(tmp.dir);
        expect(Array.from((await loaded.logProbs(PAIRS)).sum)).toEqual(Array.from((await model.logProbs(PAIRS)).sum));
        const opts = { sampler: greedy, maxNewTokens: 5 };
        expect(await loaded.generate(['abc'], { ...opts, rng: Rng.fromSeed(1) })).toEqual(await model.generate(['abc'], { ...opts, rng: Rng.fromSeed(1) }));
        await loaded.dispose();
      } finally {
        tmp.cleanup();
      }
    });

    it('keeps tf.memory().numTensors stable across calls and frees everything on dispose', async () => {
      const before = tf.memory().numTensors;
      const m = await f.create({ tokenizer: options.tokenizer(), seed: 8 });
      m.setOptimizer({ lr: 1e-3 });
      const round = async () => {
        await m.generate(['a', 'bc'], { sampler: ancestral, rng: Rng.fromSeed(2), maxNewTokens: 4, n: 2 });
        await m.logProbs(PAIRS);
        await m.trainStep((fwd) => ({ loss: tf.neg(tf.mean(fwd.responseLogProbs(PAIRS).sum)) as tf.Scalar }));
      };
      await expectNoTensorLeak(tf, round, 2);
      await m.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
