import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { CausalLmPolicy, LlamaModel } from '@apogee/policy';
import { makeTempDir, maxAbsDiff } from '@apogee/testing';
import { CausalLmReward, GptReward, SCORE_WEIGHT } from './causal-lm-reward';

const FIXTURES = path.join(__dirname, '..', '..', 'policy', 'fixtures', 'llama-parity');

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

describe('reward model on a Llama-family backbone', () => {
  it('drops the untied LM head, saves as LlamaForSequenceClassification and loads back the same scores', async () => {
    const policy = await CausalLmPolicy.load(path.join(FIXTURES, 'gqa-untied-llama3'));
    const rm = CausalLmReward.fromBackbone(policy.model, policy.tokenizer, 7, { pooling: 'mean' });
    expect(rm.backbone).toBeInstanceOf(LlamaModel);
    expect(rm.backbone.weights.has('lm_head.weight')).toBe(false);
    const pairs = [{ prompt: 'Hello', response: ' there.' }, { prompt: 'Q: 1+1?', response: ' 2' }];
    const before = await rm.score(pairs);
    const tmp = makeTempDir();
    await rm.save(tmp.dir);
    const config = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'llama', architectures: ['LlamaForSequenceClassification'], num_labels: 1, num_key_value_heads: 2, apogee: { kind: 'reward', pooling: 'mean' } });
    const loaded = await CausalLmReward.load(tmp.dir);
    expect(maxAbsDiff(await loaded.score(pairs), before)).toBe(0);
    await expect(GptReward.load(tmp.dir)).rejects.toThrow(/llama backbone; use CausalLmReward.load/);
    [policy, rm, loaded].forEach((m) => m.dispose());
    tmp.cleanup();
  });
});

// LlamaForSequenceClassification's score: the last token's final hidden state times score.weight,
// computed by the independent PyTorch reference from the checkpoint apogee wrote.
const PYTHON = process.env.APOGEE_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
(hasTorch ? describe : describe.skip)('a Llama reward checkpoint read by the PyTorch reference (needs python3-torch)', () => {
  it('scores the same within 1e-4 (Qwen2 backbone, tied, after a training step)', async () => {
    const policy = await CausalLmPolicy.load(path.join(FIXTURES, 'qwen2-tied'));
    const rm = CausalLmReward.fromBackbone(policy.model, policy.tokenizer, 3);
    rm.setOptimizer({ lr: 1e-2, schedule: 'constant' });
    await rm.trainStep((f) => ({ loss: tf.neg(tf.mean(f.rewards([{ prompt: 'a', response: 'b' }]))) as tf.Scalar }));
    const tmp = makeTempDir();
    await rm.save(tmp.dir);
    const sequences = [[72, 101, 108, 108, 111, 32, 119], [10, 10, 72, 117, 109, 97, 110, 58, 32, 49, 43, 49]];
    const script = path.join(__dirname, '..', '..', '..', 'tools', 'llama-parity', 'check_export.py');
    const r = spawnSync(PYTHON, [script, tmp.dir, JSON.stringify(sequences), '--score'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const theirs = JSON.parse(r.stdout) as number[];
    const ours = sequences.map((ids) => tf.tidy(() => {
      const { hidden } = rm.backbone.hidden(tf.tensor2d([ids], [1, ids.length], 'int32'));
      return tf.matMul(tf.slice(hidden, [ids.length - 1, 0], [1, -1]), rm.head, false, true).dataSync()[0];
    }));
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-4);
    expect(fs.existsSync(path.join(tmp.dir, 'model.safetensors'))).toBe(true);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(tmp.dir, 'config.json'), 'utf8')))).toContain('rms_norm_eps');
    expect(SCORE_WEIGHT).toBe('score.weight');
    [policy, rm].forEach((m) => m.dispose());
    tmp.cleanup();
  });
});
