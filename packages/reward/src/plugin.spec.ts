import 'reflect-metadata';
import { initBackend } from '@apogee/runtime';
import { createRun, silentLogger, TOKENS } from '@apogee/core';
import { gptConfig, GptPolicy } from '@apogee/policy';
import { describePlugin, describeRewardModel } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { gptReward, GptRewardFactory } from './plugin';

const tinyPolicy = async () => GptPolicy.create(gptConfig('tiny', { nLayer: 1, nEmbd: 32, blockSize: 64 }), new ByteTokenizer(), 1);
const setup = async () => {
  await initBackend({ logger: silentLogger });
};

describePlugin('gpt-reward', gptReward, { options: { pooling: 'mean' } });

describeRewardModel(() => new GptRewardFactory({ pooling: 'last', appendEos: false, scoreBatchSize: 4 }), { policy: tinyPolicy, setup });
describeRewardModel(() => new GptRewardFactory({ pooling: 'mean', appendEos: true, scoreBatchSize: 4 }), { policy: tinyPolicy, setup, title: 'reward model conformance (mean pooling, EOS appended)' });

describe('gptReward plugin', () => {
  it('registers a factory that builds on a GPT policy and refuses other policies', async () => {
    await setup();
    const run = await createRun({ plugins: [gptReward({ pooling: 'mean' })] });
    const factory = run.resolve(TOKENS.RewardFactory);
    const policy = await tinyPolicy();
    const rm = await factory.fromPolicy(policy, { seed: 1 });
    expect((await rm.score([{ prompt: 'a', response: 'b' }])).length).toBe(1);
    await expect(factory.fromPolicy({ tokenizer: policy.tokenizer } as never, { seed: 1 })).rejects.toThrow(/GPT policy/);
    rm.dispose();
    policy.dispose();
    await run.dispose();
  });

  it('rejects bad options naming the plugin', () => {
    expect(() => gptReward({ pooling: 'max' as never })).toThrow(/gpt-reward/);
  });
});
