import 'reflect-metadata';
import { initBackend } from '@apogee/runtime';
import { createRun, silentLogger, TOKENS } from '@apogee/core';
import { CAUSAL_LM_BACKBONE, gptConfig, GptPolicy, llamaConfig, LlamaPolicy } from '@apogee/policy';
import { describePlugin, describeRewardModel } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { gptReward, GptRewardFactory } from './plugin';

const tinyPolicy = async () => GptPolicy.create(gptConfig('tiny', { nLayer: 1, nEmbd: 32, blockSize: 64 }), new ByteTokenizer(), 1);
const setup = async () => {
  await initBackend({ logger: silentLogger });
};

describePlugin('gpt-reward', gptReward, { options: { pooling: 'mean' } });

describeRewardModel(() => new GptRewardFactory({ pooling: 'last', appendEos: false, scoreBatchSize: 4, backbone: 'copy' }), { policy: tinyPolicy, setup });
describeRewardModel(() => new GptRewardFactory({ pooling: 'mean', appendEos: true, scoreBatchSize: 4, backbone: 'copy' }), { policy: tinyPolicy, setup, title: 'reward model conformance (mean pooling, EOS appended)' });

const tinyLlama = async () => LlamaPolicy.create(llamaConfig('llama-tiny', { nLayer: 1, blockSize: 64 }), new ByteTokenizer(), 1);
describeRewardModel(() => new GptRewardFactory({ pooling: 'last', appendEos: false, scoreBatchSize: 4, backbone: 'copy' }), { policy: tinyLlama, setup, title: 'reward model conformance (Llama backbone, GQA, untied)' });
const tinyLoraLlama = async () => {
  const p = await tinyLlama();
  p.addAdapter({ r: 4, targetModules: ['q_proj', 'v_proj'] }, 2);
  return p;
};
describeRewardModel(() => new GptRewardFactory({ pooling: 'last', appendEos: false, scoreBatchSize: 4, backbone: 'shared' }), { policy: tinyLoraLlama, setup, title: "reward model conformance (on a LoRA Llama policy's shared base weights)" });

describe('gptReward plugin', () => {
  it('registers a factory that builds on a GPT policy and refuses other policies', async () => {
    await setup();
    const run = await createRun({ plugins: [gptReward({ pooling: 'mean' })] });
    const factory = run.resolve(TOKENS.RewardFactory);
    const policy = await tinyPolicy();
    const rm = await factory.fromPolicy(policy, { seed: 1 });
    expect((await rm.score([{ prompt: 'a', response: 'b' }])).length).toBe(1);
    await expect(factory.fromPolicy({ tokenizer: policy.tokenizer } as never, { seed: 1 })).rejects.toThrow(/CAUSAL_LM_BACKBONE/);
    rm.dispose();
    policy.dispose();
    await run.dispose();
  });

  it('builds on any policy offering the backbone capability (found by Symbol.for, not instanceof)', async () => {
    await setup();
    const factory = new GptRewardFactory({ pooling: 'last', appendEos: false, scoreBatchSize: 4, backbone: 'copy' });
    const policy = await tinyPolicy();
    // As a second installed copy of @apogee/policy would look: a different object, the same registered symbol.
    const foreign = { [Symbol.for('@apogee/policy:causal-lm-backbone')]: () => ({ model: policy.model, tokenizer: policy.tokenizer }) };
    expect(Symbol.for('@apogee/policy:causal-lm-backbone')).toBe(CAUSAL_LM_BACKBONE);
    const rm = await factory.fromPolicy(foreign as never, { seed: 3 });
    expect((await rm.score([{ prompt: 'a', response: 'b' }]))[0]).toEqual(expect.any(Number));
    rm.dispose();
    policy.dispose();
  });

  it('rejects bad options naming the plugin', () => {
    expect(() => gptReward({ pooling: 'max' as never })).toThrow(/gpt-reward/);
  });
});
