// A reward model on a LoRA policy's frozen base weights (`backbone: 'shared'`): no second copy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { GptPolicy, gptConfig, llamaConfig, LlamaPolicy } from '@apogee/policy';
import { initBackend } from '@apogee/runtime';
import { makeTempDir, maxAbsDiff } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { CausalLmReward } from './causal-lm-reward';

const tokenizer = new ByteTokenizer();
const config = llamaConfig('llama-tiny', { nLayer: 2, nEmbd: 32, nHead: 4, nKvHead: 2, headDim: 8, intermediateSize: 64, blockSize: 64, tieWordEmbeddings: false });
const pairs = [
  { prompt: 'Q: 2+2?', response: ' 4' },
  { prompt: 'Q: 2+2?', response: ' five, I think' },
];

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

const bytesOf = (entries: [string, tf.Variable][]) => entries.reduce((s, [, v]) => s + v.size * 4, 0);

describe("a reward model sharing a LoRA policy's base weights", () => {
  it('adds only its copy of the adapter and its head (tensors and bytes counted), where a copy adds the whole model', async () => {
    const policy = LlamaPolicy.create(config, tokenizer, 3);
    policy.addAdapter({ r: 4, targetModules: ['q_proj', 'v_proj', 'up_proj'] }, 1);
    const adapter = policy.model.trainableEntries();
    const base = policy.model.weights.entries();
    const d = config.nEmbd;

    let before = tf.memory();
    const shared = CausalLmReward.fromBackbone(policy.model, tokenizer, 5, { backbone: 'shared' });
    let after = tf.memory();
    expect(after.numTensors - before.numTensors).toBe(adapter.length + 1);
    expect(after.numBytes - before.numBytes).toBe(bytesOf(adapter) + 4 * d);
    // Only the adapter copy and the head train.
    expect(shared.backbone.trainableEntries().map(([n]) => n).sort()).toEqual(adapter.map(([n]) => n).sort());

    before = tf.memory();
    const copy = CausalLmReward.fromBackbone(policy.model, tokenizer, 5);
    after = tf.memory();
    // The copy holds every base weight but the LM head (merged with the adapter): far more than the shared one.
    expect(after.numBytes - before.numBytes).toBe(bytesOf(base.filter(([n]) => n !== 'lm_head.weight')) + 4 * d);
    // Same function at the start: the shared RM is base + the policy's adapter, the copy the merged weights.
    expect(maxAbsDiff(await shared.score(pairs), await copy.score(pairs))).toBeLessThan(1e-5);
    copy.dispose();
    shared.dispose();
    policy.dispose();
  });

  it("trains without touching the policy, disposes without freeing the policy's weights, and saves base + PEFT adapter files that load back", async () => {
    const policy = LlamaPolicy.create(config, tokenizer, 3);
    policy.addAdapter({ r: 4, targetModules: ['q_proj', 'v_proj'] }, 1);
    const policyBefore = await policy.logProbs(pairs);
    const rm = CausalLmReward.fromBackbone(policy.model, tokenizer, 5, { backbone: 'shared' });
    const scoresBefore = await rm.score(pairs);
    rm.setOptimizer({ lr: 1e-2 });
    for (let i = 0; i < 3; i++) await rm.trainStep((f) => ({ loss: tf.neg(tf.sub(tf.gather(f.rewards(pairs), 0), tf.gather(f.rewards(pairs), 1))) as tf.Scalar }));
    const scores = await rm.score(pairs);
    expect(maxAbsDiff(scores, scoresBefore)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff((await policy.logProbs(pairs)).sum, policyBefore.sum)).toBe(0);

    const tmp = makeTempDir();
    try {
      await rm.save(tmp.dir);
      expect(fs.existsSync(path.join(tmp.dir, 'adapter_config.json'))).toBe(true);
      const loaded = await CausalLmReward.load(tmp.dir);
      expect(loaded.backbone.weights.has('lm_head.weight')).toBe(false);
      expect(loaded.backbone.hasAdapter).toBe(true);
      expect(Array.from(await loaded.score(pairs))).toEqual(Array.from(scores));
      loaded.dispose();
    } finally {
      tmp.cleanup();
    }
    rm.dispose();
    // The policy still works on its (shared) weights after the RM is gone.
    expect(maxAbsDiff((await policy.logProbs(pairs)).sum, policyBefore.sum)).toBe(0);
    policy.dispose();
  });

  it('refuses a policy without an adapter (its weights train, so they cannot be shared)', () => {
    const policy = GptPolicy.create(gptConfig('tiny', { nLayer: 1, nEmbd: 16, nHead: 2, blockSize: 32 }), tokenizer, 1);
    expect(() => CausalLmReward.fromBackbone(policy.model, tokenizer, 5, { backbone: 'shared' })).toThrow(/backbone: 'shared' needs a policy with a LoRA adapter/);
    policy.dispose();
  });
});
