import 'reflect-metadata';
import { initBackend } from '@apogee/runtime';
import { createRun, silentLogger, TOKENS } from '@apogee/core';
import { describePlugin, describePolicyModel } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { gptPolicy, GptPolicyFactory } from './plugin';
import { GptPolicy } from './gpt-policy';

describePlugin('gpt-policy', gptPolicy, { options: { preset: 'tiny', config: { nEmbd: 32 } } });

describePolicyModel(() => new GptPolicyFactory({ preset: 'tiny', config: { nEmbd: 32, blockSize: 64 }, generateBatchSize: 8, logProbBatchSize: 8 }), {
  tokenizer: () => new ByteTokenizer(),
  setup: async () => {
    await initBackend({ logger: silentLogger });
  },
});

describe('gptPolicy plugin', () => {
  it('creates models of the preset shape with the tokenizer vocabulary', async () => {
    await initBackend({ logger: silentLogger });
    const run = await createRun({ plugins: [gptPolicy({ preset: 'tiny', config: { nLayer: 1 } })] });
    const policy = (await run.resolve(TOKENS.PolicyFactory).create({ tokenizer: new ByteTokenizer(), seed: 1 })) as GptPolicy;
    expect(policy.config).toMatchObject({ nLayer: 1, nEmbd: 64, nHead: 4, vocabSize: 260 });
    policy.dispose();
    await run.dispose();
  });

  it('rejects unknown presets and fields with the plugin name', () => {
    expect(() => gptPolicy({ preset: 'huge' as never })).toThrow(/gpt-policy/);
    expect(() => gptPolicy({ config: { nLayers: 2 } as never })).toThrow(/gpt-policy/);
  });
});
