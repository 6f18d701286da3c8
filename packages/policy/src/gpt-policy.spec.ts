import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { activeSimd, initBackend, setActiveSimd } from '@apogee/runtime';
import { ERROR_CODES, Rng, silentLogger, type PromptResponse } from '@apogee/core';
import { expectNoTensorLeak, makeTempDir, maxAbsDiff } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { gptConfig } from './config';
import { GptPolicy } from './gpt-policy';
import { sequenceLogProbs } from './log-probs';
import { ancestralSampler, greedySampler } from '../test/samplers';

const tokenizer = new ByteTokenizer();
const config = gptConfig('tiny', { blockSize: 64, nEmbd: 32, nHead: 4 });
const make = (seed = 1) => GptPolicy.create(config, tokenizer, seed);

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'gpt2-parity');

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

describe('GptPolicy generation', () => {
  // The cache op runs apogee-cpu's kernel on its SIMD kernels when they are on, else on JS loops;
  // on the plain cpu backend (no kernel registered) the plain-tfjs form runs: all three paths.
  it.each([['apogee-cpu, SIMD kernels', true], ['apogee-cpu, JS kernels', false], ['plain tfjs (cpu backend)', 'cpu']] as const)(
    'gives the same greedy tokens and log-probs with and without the KV cache (left-padded prompts), %s',
    async (_name, path) => {
      const simd = activeSimd();
      if (path === false) setActiveSimd(null);
      if (path === 'cpu') await tf.setBackend('cpu');
      try {
        await cacheMatchesPlain();
      } finally {
        setActiveSimd(simd);
        await tf.setBackend('apogee-cpu');
      }
    },
  );

  async function cacheMatchesPlain() {
    const policy = make();
    const prompts = ['Hi', 'A much longer prompt', ''];
    const opts = { sampler: greedySampler, rng: Rng.fromSeed(1), maxNewTokens: 12, n: 2 };
    const before = tf.memory().numTensors;
    const cached = await policy.generate(prompts, opts);
    expect(tf.memory().numTensors).toBe(before);
    const plain = await policy.generate(prompts, { ...opts, kvCache: false });
    const ids = (gs: typeof plain) => gs.map((g) => g.map((s) => s.tokenIds));
    const lps = (gs: typeof plain) => gs.flat().flatMap((s) => s.logProbs);
    expect(ids(cached)).toEqual(ids(plain));
    expect(maxAbsDiff(lps(cached), lps(plain))).toBeLessThan(1e-4);
    // A prompt decodes the same alone as in a padded batch.
    const alone = await policy.generate(['Hi'], opts);
    expect(alone[0][0].tokenIds).toEqual(cached[0][0].tokenIds);
    expect(cached[0]).toHaveLength(2);
    policy.dispose();
  }

  it('matches decoding without a cache for the exact-erf GELU too', async () => {
    const policy = GptPolicy.create(gptConfig('tiny', { blockSize: 64, nEmbd: 32, activation: 'gelu' }), tokenizer, 9);
    const opts = { sampler: greedySampler, rng: Rng.fromSeed(1), maxNewTokens: 8, n: 1 };
    const a = await policy.generate(['ab', 'c'], opts);
    const b = await policy.generate(['ab', 'c'], { ...opts, kvCache: false });
    expect(a.map((g) => g[0].tokenIds)).toEqual(b.map((g) => g[0].tokenIds));
    policy.dispose();
  });

  it('reports log-probs of the unmodified distribution (equal to scoring the ids afterwards)', async () => {
    const policy = make(3);
    const [[g]] = await policy.generate(['Question: '], { sampler: ancestralSampler, rng: Rng.fromSeed(5), maxNewTokens: 10 });
    expect(g.finishReason).toBe('length');
    expect(g.logProbs).toHaveLength(10);
    const prompt = tokenizer.encode('Question: ');
    const seq = sequenceLogProbs(policy.model, [{ ids: [...prompt, ...g.tokenIds], promptLength: prompt.length }], tokenizer.padId);
    expect(Math.abs((await seq.sum.data())[0] - g.logProbs.reduce((a, b) => a + b, 0))).toBeLessThan(1e-3);
    tf.dispose([seq.tokenLogProbs, seq.mask, seq.sum, seq.count]);
    policy.dispose();
  });

  it('is deterministic for the same RNG state and differs for another', async () => {
    const policy = make(2);
    const run = (seed: number) => policy.generate(['x', 'y'], { sampler: ancestralSampler, rng: Rng.fromSeed(seed), maxNewTokens: 8, n: 3 });
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
    policy.dispose();
  });

  it('stops at EOS, at stop sequences (cut from text and ids), and at maxNewTokens', async () => {
    const policy = make();
    // A sampler that spells "ab\nHuman" then EOS, to exercise every finish reason.
    const script = [...tokenizer.encode('ab\nHuman'), tokenizer.eosId];
    const scripted = { name: 'scripted', next: (s: { batch: number; generated: ReadonlyArray<ReadonlyArray<number>> }) => Int32Array.from(s.generated.map((g) => script[g.length])) };
    const opts = { sampler: scripted, rng: Rng.fromSeed(1), maxNewTokens: 20 };
    const [[stopped]] = await policy.generate(['p'], { ...opts, stop: ['\nHuman'] });
    expect(stopped).toMatchObject({ text: 'ab', tokenIds: tokenizer.encode('ab'), finishReason: 'stop' });
    expect(stopped.logProbs).toHaveLength(2);
    const [[eos]] = await policy.generate(['p'], opts);
    expect(eos).toMatchObject({ text: 'ab\nHuman', finishReason: 'eos' });
    const [[short]] = await policy.generate(['p'], { ...opts, maxNewTokens: 3 });
    expect(short).toMatchObject({ text: 'ab\n', finishReason: 'length' });
    policy.dispose();
  });

  it('cuts over-long prompts from the left and rejects impossible lengths', async () => {
    const policy = make();
    const long = 'z'.repeat(200) + 'END';
    const [[g]] = await policy.generate([long], { sampler: greedySampler, rng: Rng.fromSeed(1), maxNewTokens: 4 });
    const [[h]] = await policy.generate(['z'.repeat(57) + 'END'], { sampler: greedySampler, rng: Rng.fromSeed(1), maxNewTokens: 4 });
    expect(g.tokenIds).toEqual(h.tokenIds);
    await expect(policy.generate(['x'], { sampler: greedySampler, rng: Rng.fromSeed(1), maxNewTokens: 64 })).rejects.toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
    policy.dispose();
  });
});

describe('GptPolicy log-probs', () => {
  const batch: PromptResponse[] = [
    { prompt: 'Human: hi\n\nAssistant:', response: ' hello there' },
    { prompt: 'Q', response: 'A' },
    { prompt: '', response: 'no prompt' },
  ];

  it('masks prompt and padding: padding length and batch neighbours do not change results', async () => {
    const policy = make();
    const together = await policy.logProbs(batch);
    for (let i = 0; i < batch.length; i++) {
      const alone = await policy.logProbs([batch[i]]);
      expect(Math.abs(alone.sum[0] - together.sum[i])).toBeLessThan(1e-4);
      expect(alone.count[0]).toBe(together.count[i]);
    }
    expect(Array.from(together.count)).toEqual([13, 2, 10]);
    // Differentiable path: same numbers, zeros outside the mask.
    const seq = policy.responseLogProbs(batch);
    expect(maxAbsDiff(await seq.sum.data(), together.sum)).toBeLessThan(1e-5);
    const lp = (await seq.tokenLogProbs.array()) as number[][];
    const mask = (await seq.mask.array()) as number[][];
    lp.forEach((row, r) => row.forEach((v, t) => (mask[r][t] === 0 ? expect(Math.abs(v)).toBe(0) : expect(v).toBeLessThan(0))));
    expect(mask[1]).toEqual([0, 1, 1, ...new Array(mask[1].length - 3).fill(0)]);
    tf.dispose([seq.tokenLogProbs, seq.mask, seq.sum, seq.count]);
    policy.dispose();
  });

  it('changing the prompt changes the result only through conditioning, not through counted tokens', async () => {
    const policy = make();
    const a = await policy.logProbs([{ prompt: 'xxxxxxxxxxxxxxxx', response: 'ok' }]);
    expect(a.count[0]).toBe(3);
    policy.dispose();
  });
});

describe('GptPolicy training', () => {
  const data: PromptResponse[] = [
    { prompt: 'Say A:', response: 'AAAA' },
    { prompt: 'Say B:', response: 'BBBB' },
  ];
  const sftLoss = (f: { responseLogProbs: GptPolicy['responseLogProbs'] }) => {
    const lp = f.responseLogProbs(data);
    const nll = tf.neg(tf.div(tf.sum(lp.sum), tf.sum(lp.count))) as tf.Scalar;
    return { loss: nll, metrics: { tokens: tf.sum(lp.count) as tf.Scalar } };
  };

  it('reduces the loss on a tiny dataset, reports lr/gradNorm/metrics, and does not leak tensors', async () => {
    const policy = make(4);
    policy.setOptimizer({ lr: 1e-2, warmupSteps: 2, totalSteps: 20, weightDecay: 0.01 });
    const first = await policy.trainStep(sftLoss);
    expect(first).toMatchObject({ step: 1, lr: 5e-3, metrics: { tokens: 10 } });
    expect(first.gradNorm).toBeGreaterThan(0);
    let last = first;
    for (let i = 0; i < 12; i++) last = await policy.trainStep(sftLoss);
    expect(last.loss).toBeLessThan(first.loss * 0.7);
    await expectNoTensorLeak(tf, () => policy.trainStep(sftLoss), 2);
    policy.dispose();
  });

  it('with dropout: training is seeded (same seed, same steps) and evaluation is deterministic', async () => {
    const withDropout = gptConfig('tiny', { blockSize: 64, nEmbd: 32, dropout: 0.2 });
    const [a, b] = [GptPolicy.create(withDropout, tokenizer, 8), GptPolicy.create(withDropout, tokenizer, 8)];
    const before = await a.logProbs(data);
    expect(Array.from((await a.logProbs(data)).sum)).toEqual(Array.from(before.sum));
    for (const p of [a, b]) p.setOptimizer({ lr: 1e-2 });
    const ra = [await a.trainStep(sftLoss), await a.trainStep(sftLoss)];
    const rb = [await b.trainStep(sftLoss), await b.trainStep(sftLoss)];
    expect(rb).toEqual(ra);
    // Dropout is on while training: the training loss differs from the evaluation NLL of the same weights.
    const evalNll = -Array.from(before.sum).reduce((x, y) => x + y, 0) / Array.from(before.count).reduce((x, y) => x + y, 0);
    expect(Math.abs(ra[0].loss - evalNll)).toBeGreaterThan(1e-4);
    a.dispose();
    b.dispose();
  });

  it('refuses to train a frozen clone, and the clone does not move when the original trains', async () => {
    const policy = make(5);
    const frozen = await policy.clone({ trainable: false });
    expect(() => frozen.setOptimizer({ lr: 1e-3 })).toThrow(/frozen/);
    await expect(frozen.trainStep(sftLoss)).rejects.toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
    const before = await frozen.logProbs(data);
    policy.setOptimizer({ lr: 1e-2 });
    await policy.trainStep(sftLoss);
    expect(Array.from((await frozen.logProbs(data)).sum)).toEqual(Array.from(before.sum));
    expect(Array.from((await policy.logProbs(data)).sum)).not.toEqual(Array.from(before.sum));
    frozen.dispose();
    policy.dispose();
  });

  it('save → load gives identical log-probs and resumes the optimizer identically', async () => {
    const tmp = makeTempDir();
    const policy = make(6);
    policy.setOptimizer({ lr: 5e-3, warmupSteps: 1, totalSteps: 10, schedule: 'cosine' });
    await policy.trainStep(sftLoss);
    await policy.save(tmp.dir);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['apogee-tokenizer.json', 'config.json', 'model.safetensors', 'optimizer.json', 'optimizer.safetensors']);
    const loaded = await GptPolicy.load(tmp.dir);
    expect(Array.from((await loaded.logProbs(data)).sum)).toEqual(Array.from((await policy.logProbs(data)).sum));
    const a = await policy.trainStep(sftLoss);
    const b = await loaded.trainStep(sftLoss);
    expect(b).toEqual(a);
    expect(Array.from((await loaded.logProbs(data)).sum)).toEqual(Array.from((await policy.logProbs(data)).sum));
    policy.dispose();
    loaded.dispose();
    tmp.cleanup();
  });
});

describe('GptPolicy memory', () => {
  it('keeps numTensors stable across generate, logProbs and trainStep', async () => {
    const policy = make();
    policy.setOptimizer({ lr: 1e-3 });
    await expectNoTensorLeak(tf, async () => {
      await policy.generate(['a', 'bb'], { sampler: ancestralSampler, rng: Rng.fromSeed(1), maxNewTokens: 5, n: 2, stop: ['q'] });
      await policy.logProbs([{ prompt: 'a', response: 'b' }]);
      await policy.trainStep((f) => ({ loss: tf.neg(tf.mean(f.responseLogProbs([{ prompt: 'a', response: 'b' }]).sum)) as tf.Scalar }));
    });
    const before = tf.memory().numTensors;
    policy.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});

describe('GptPolicy checkpoint errors', () => {
  const copyFixture = () => {
    const tmp = makeTempDir();
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) fs.copyFileSync(path.join(FIXTURE, f), path.join(tmp.dir, f));
    return tmp;
  };

  it('names the file and the problem', async () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['missing config', (d) => fs.rmSync(path.join(d, 'config.json')), /config\.json: cannot read the model config \(ENOENT\)/],
      ['config not JSON', (d) => fs.writeFileSync(path.join(d, 'config.json'), '{ nope'), /config\.json: the model config is not valid JSON/],
      ['bad field', (d) => fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ n_layer: 2, n_head: 4, n_embd: 64, n_positions: 64, vocab_size: 'x' })), /config\.json: field "vocab_size" must be a positive integer/],
      ['wrong shape', (d) => fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ n_layer: 2, n_head: 4, n_embd: 64, n_positions: 32, vocab_size: 260 })), /model\.safetensors: the tensors do not match/],
      ['truncated weights', (d) => fs.truncateSync(path.join(d, 'model.safetensors'), 1000), /model\.safetensors/],
      ['bad tokenizer', (d) => fs.writeFileSync(path.join(d, 'tokenizer.json'), '{"type":"nope"}'), /tokenizer\.json/],
    ];
    for (const [, breakIt, message] of cases) {
      const tmp = copyFixture();
      breakIt(tmp.dir);
      await expect(GptPolicy.load(tmp.dir)).rejects.toMatchObject({ code: ERROR_CODES.MODEL_FILE_INVALID, message: expect.stringMatching(message) });
      tmp.cleanup();
    }
  });

  it('rejects malformed optimizer state with the file named', async () => {
    const tmp = makeTempDir();
    const policy = make(2);
    policy.setOptimizer({ lr: 1e-3 });
    await policy.save(tmp.dir);
    fs.writeFileSync(path.join(tmp.dir, 'optimizer.json'), JSON.stringify({ step: -1 }));
    await expect(GptPolicy.load(tmp.dir)).rejects.toMatchObject({ code: ERROR_CODES.CHECKPOINT_INVALID, message: expect.stringMatching(/optimizer\.json/) });
    policy.dispose();
    tmp.cleanup();
  });

  it('lists misshapen and missing tensors', async () => {
    const tmp = copyFixture();
    fs.writeFileSync(path.join(tmp.dir, 'config.json'), JSON.stringify({ n_layer: 3, n_head: 4, n_embd: 64, n_positions: 64, vocab_size: 260 }));
    const err = await GptPolicy.load(tmp.dir).catch((e) => e);
    expect(err.problems.map((p: { path: string }) => p.path)).toContain('h.2.ln_1.weight');
    tmp.cleanup();
  });
});
