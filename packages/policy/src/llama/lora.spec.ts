import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { makeTempDir, maxAbsDiff } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { CausalLmPolicy } from '../causal-lm-policy';
import { llamaConfig } from './config';
import { LlamaPolicy } from './llama-policy';

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'llama-parity', 'gqa-untied-llama3');
const batch = [{ prompt: 'Hello', response: ' world, again.' }, { prompt: 'Q: 2+2?', response: ' 4' }];
const ids = [72, 101, 108, 108, 111, 44, 32, 119];

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

function logits(p: CausalLmPolicy): Float32Array {
  return tf.tidy(() => p.model.logits(p.model.hidden(tf.tensor2d([ids], [1, ids.length], 'int32')).hidden).dataSync() as Float32Array);
}

async function train(p: LlamaPolicy, steps: number): Promise<void> {
  p.setOptimizer({ lr: 5e-2, schedule: 'constant' });
  for (let i = 0; i < steps; i++) await p.trainStep((f) => ({ loss: tf.neg(tf.mean(f.responseLogProbs(batch).sum)) as tf.Scalar }));
}

describe('LoRA on Llama-family policies', () => {
  it('starts as the base model, trains only the adapter, and merged equals adapter-applied within 1e-5', async () => {
    const policy = await LlamaPolicy.load(FIXTURE);
    const base = logits(policy);
    const baseWeights = policy.model.weights.entries().map(([, v]) => v.dataSync().slice());
    policy.addAdapter({ r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj', 'down_proj'] }, 1);
    expect(maxAbsDiff(logits(policy), base)).toBe(0);
    await train(policy, 3);
    const adapted = logits(policy);
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-3);
    policy.model.weights.entries().forEach(([, v], i) => expect(maxAbsDiff(v.dataSync(), baseWeights[i])).toBe(0));
    const merged = policy.mergeAdapter();
    expect(merged.model.adapter).toBeNull();
    expect(maxAbsDiff(logits(merged), adapted)).toBeLessThan(1e-5);
    // The reference: the same base weights with the adapter disabled, no copy.
    const reference = policy.withoutAdapter();
    expect(reference.model.weights.get('model.embed_tokens.weight')).toBe(policy.model.weights.get('model.embed_tokens.weight'));
    expect(maxAbsDiff(logits(reference), base)).toBe(0);
    reference.dispose();
    expect(maxAbsDiff(logits(policy), adapted)).toBe(0); // disposing the reference left the shared base alive
    [policy, merged].forEach((p) => p.dispose());
  });

  it('a frozen clone shares the base weights and copies only the adapter; memory returns on dispose', async () => {
    const policy = LlamaPolicy.create(llamaConfig('llama-tiny', { nLayer: 1, blockSize: 64 }), new ByteTokenizer(), 3);
    policy.addAdapter({ r: 2 }, 2);
    await train(policy, 1);
    const before = tf.memory().numTensors;
    const ref = await policy.clone({ trainable: false });
    const adapterSize = policy.model.adapter!.weights.size();
    expect(tf.memory().numTensors - before).toBe(policy.model.adapter!.weights.names().length);
    expect(adapterSize).toBeLessThan(policy.model.weights.size() / 10);
    expect(maxAbsDiff(logits(ref), logits(policy))).toBe(0);
    await train(policy, 1);
    expect(maxAbsDiff(logits(ref), logits(policy))).toBeGreaterThan(0);
    ref.dispose();
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });

  it('saves a PEFT-layout adapter beside the base and loads it back (also from a separate directory)', async () => {
    const policy = await LlamaPolicy.load(FIXTURE);
    policy.addAdapter({ r: 4, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] }, 5);
    await train(policy, 2);
    const tmp = makeTempDir();
    await policy.save(tmp.dir);
    const config = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, bias: 'none', target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
    const again = await LlamaPolicy.load(tmp.dir);
    expect(again.model.adapter).not.toBeNull();
    expect(maxAbsDiff(logits(again), logits(policy))).toBe(0);
    const onlyAdapter = path.join(tmp.dir, 'adapter-only');
    await policy.saveAdapter(onlyAdapter, 'gqa-untied-llama3');
    expect(fs.readdirSync(onlyAdapter).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const fromBase = await LlamaPolicy.load(FIXTURE, { adapter: onlyAdapter });
    expect(maxAbsDiff(logits(fromBase), logits(policy))).toBe(0);
    fs.writeFileSync(path.join(onlyAdapter, 'adapter_config.json'), JSON.stringify({ ...config, use_dora: true }));
    await expect(LlamaPolicy.load(FIXTURE, { adapter: onlyAdapter })).rejects.toThrow(/adapter_config\.json: not a LoRA adapter/);
    [policy, again, fromBase].forEach((p) => p.dispose());
    tmp.cleanup();
  });

  it('refuses bad LoRA options naming the field', () => {
    const policy = LlamaPolicy.create(llamaConfig('llama-tiny', { nLayer: 1 }), new ByteTokenizer(), 3);
    expect(() => policy.addAdapter({ r: 0 }, 1)).toThrow(/LoRA config is invalid/);
    expect(() => policy.addAdapter({ r: 2, targetModules: ['c_attn'] }, 1)).toThrow(/LoRA config is invalid/);
    policy.dispose();
  });
});
