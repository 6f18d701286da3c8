import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { readSafetensors } from '@apogee/safetensors';
import { makeTempDir, maxAbsDiff } from '@apogee/testing';
import { CausalLmPolicy } from '../causal-lm-policy';
import { LlamaPolicy } from './llama-policy';
import { LlamaModel } from './llama-model';
import { greedySampler } from '../../test/samplers';
import { Rng } from '@apogee/core';

// Fixtures made by tools/llama-parity/make_fixtures.py: an independent PyTorch Llama (float64,
// written from the published architecture) on random weights rounded to the stored dtype.
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'llama-parity');
const CASES = ['gqa-untied-llama3', 'qwen2-tied', 'mha-tied-linear'];

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

function logitsOf(policy: CausalLmPolicy, ids: number[]): tf.Tensor2D {
  return tf.tidy(() => policy.model.logits(policy.model.hidden(tf.tensor2d([ids], [1, ids.length], 'int32')).hidden));
}

describe.each(CASES)('parity with an independent PyTorch Llama: %s', (name) => {
  let policy: LlamaPolicy;
  let expected: Awaited<ReturnType<typeof readSafetensors>>['tensors'];

  beforeAll(async () => {
    policy = await LlamaPolicy.load(path.join(FIXTURES, name));
    expected = (await readSafetensors(path.join(FIXTURES, name, 'expected.safetensors'))).tensors;
  });
  afterAll(() => policy.dispose());

  for (const s of [0, 1, 2]) {
    it(`matches the logits of sequence ${s} within 1e-4`, async () => {
      const ids = Array.from(expected.get(`ids.${s}`)!.data);
      const logits = logitsOf(policy, ids);
      const want = expected.get(`logits.${s}`)!.data;
      // The logits are O(1–10): a wrong norm, rotation or head grouping moves them by far more than 1e-4.
      expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(1);
      expect(maxAbsDiff(await logits.data(), want)).toBeLessThan(1e-4);
      logits.dispose();
    });
  }

  // apogee-cpu's cache kernel, and the plain-tfjs form of the op on the cpu backend (no kernel there).
  it.each(['apogee-cpu', 'cpu'])('decodes greedily the same with the KV cache as without, prompts batched with left padding, 2 samples each (%s)', async (backend) => {
    await tf.setBackend(backend);
    try {
      const prompts = ['Hello', 'The quick brown fox', ''];
      const opts = { sampler: greedySampler, maxNewTokens: 12, n: 2 };
      const before = tf.memory().numTensors;
      const cached = await policy.generate(prompts, { ...opts, rng: Rng.fromSeed(1, 'test') });
      expect(tf.memory().numTensors).toBe(before);
      const plain = await policy.generate(prompts, { ...opts, rng: Rng.fromSeed(1, 'test'), kvCache: false });
      expect(cached.map((g) => g.map((s) => s.tokenIds))).toEqual(plain.map((g) => g.map((s) => s.tokenIds)));
      expect(cached.map((g) => g[0].tokenIds.length).some((n) => n > 2)).toBe(true);
      for (const [i, g] of cached.entries()) expect(maxAbsDiff(g.flatMap((s) => s.logProbs), plain[i].flatMap((s) => s.logProbs))).toBeLessThan(1e-4);
    } finally {
      await tf.setBackend('apogee-cpu');
    }
  });
});

describe('Hub checkpoint layout', () => {
  it('a config with far more layers than the checkpoint holds is one error, not a list of millions', async () => {
    const tmp = makeTempDir();
    for (const f of fs.readdirSync(path.join(FIXTURES, 'qwen2-tied'))) fs.copyFileSync(path.join(FIXTURES, 'qwen2-tied', f), path.join(tmp.dir, f));
    const config = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(tmp.dir, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 1_000_000 }));
    await expect(LlamaPolicy.load(tmp.dir)).rejects.toThrow(/num_hidden_layers 1000000 \(\d+ tensors\), but the checkpoint holds \d+/);
    tmp.cleanup();
  });

  it('reads two BF16 shards through model.safetensors.index.json and skips the rotary inv_freq buffer', async () => {
    const policy = await LlamaPolicy.load(path.join(FIXTURES, 'gqa-untied-llama3'));
    expect(policy.config).toMatchObject({ modelType: 'llama', nHead: 4, nKvHead: 2, tieWordEmbeddings: false, ropeScaling: { type: 'llama3', factor: 8 } });
    expect(policy.model.weights.has('lm_head.weight')).toBe(true);
    expect(policy.extras.generation?.eosTokenIds).toEqual([257, 46]);
    policy.dispose();
  });

  it('writes back sharded, with generation_config.json, and reads the same weights', async () => {
    const policy = await CausalLmPolicy.load(path.join(FIXTURES, 'qwen2-tied'), { maxShardBytes: 64 * 1024 });
    const tmp = makeTempDir();
    await policy.save(tmp.dir);
    const again = await CausalLmPolicy.load(tmp.dir);
    expect(again.model).toBeInstanceOf(LlamaModel);
    expect(again.config).toEqual(policy.config);
    expect(again.extras.generation?.raw).toEqual(policy.extras.generation?.raw);
    const ids = [72, 101, 108, 108, 111];
    expect(maxAbsDiff(await logitsOf(again, ids).data(), await logitsOf(policy, ids).data())).toBe(0);
    const files = fs.readdirSync(tmp.dir).sort();
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    expect(files).toContain('model.safetensors.index.json');
    expect(files).not.toContain('model.safetensors');
    // Saving the same directory unsharded replaces the shards and the index.
    const whole = await CausalLmPolicy.load(tmp.dir);
    await whole.save(tmp.dir);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.startsWith('model'))).toEqual(['model.safetensors']);
    [policy, again, whole].forEach((p) => p.dispose());
    tmp.cleanup();
  });
});

// The export half: a trained checkpoint apogee writes, read by the PyTorch reference.
const PYTHON = process.env.APOGEE_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
(hasTorch ? describe : describe.skip)('an exported Llama checkpoint read by the PyTorch reference (needs python3-torch)', () => {
  it.each(CASES)('%s: same logits within 1e-4 after training steps', async (name) => {
    const policy = await CausalLmPolicy.load(path.join(FIXTURES, name), { maxShardBytes: 100 * 1024 });
    policy.setOptimizer({ lr: 1e-2, schedule: 'constant' });
    const batch = [{ prompt: 'Hello', response: ' world, again.' }];
    for (let i = 0; i < 2; i++) await policy.trainStep((f) => ({ loss: tf.neg(tf.mean(f.responseLogProbs(batch).sum)) as tf.Scalar }));
    const tmp = makeTempDir();
    await policy.save(tmp.dir);
    const sequences = [[72, 101, 108, 108, 111, 32, 119], [10, 10, 72, 117, 109, 97, 110, 58, 32, 49, 43, 49]];
    const script = path.join(__dirname, '..', '..', '..', '..', 'tools', 'llama-parity', 'check_export.py');
    const r = spawnSync(PYTHON, [script, tmp.dir, JSON.stringify(sequences)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.stderr).toBe('');
    const theirs = JSON.parse(r.stdout) as number[][][];
    for (const [s, ids] of sequences.entries()) {
      const logits = logitsOf(policy, ids);
      expect(maxAbsDiff(await logits.data(), theirs[s].flat())).toBeLessThan(1e-4);
      logits.dispose();
    }
    policy.dispose();
    tmp.cleanup();
  });
});
