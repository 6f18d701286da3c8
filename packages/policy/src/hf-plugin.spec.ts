import 'reflect-metadata';
import * as path from 'node:path';
import { initBackend } from '@apogee/runtime';
import { createRun, silentLogger, TOKENS } from '@apogee/core';
import { describePlugin, describePolicyModel } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { hfPolicy, HfPolicyFactory } from './hf-plugin';
import { LlamaModel } from './llama/llama-model';
import type { CausalLmPolicy } from './causal-lm-policy';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'llama-parity', 'gqa-untied-llama3');
const setup = async () => {
  await initBackend({ logger: silentLogger });
};
const defaults = { preset: 'llama-tiny' as const, config: {}, generateBatchSize: 8, logProbBatchSize: 8, maxShardBytes: 5e9 };

describePlugin('hf-policy', hfPolicy, { options: { preset: 'qwen2-tiny' } });

describePolicyModel(() => new HfPolicyFactory({ ...defaults, config: { blockSize: 64 } }), {
  tokenizer: () => new ByteTokenizer(),
  setup,
  title: 'policy model conformance (Llama-family, GQA, untied)',
});
describePolicyModel(() => new HfPolicyFactory({ ...defaults, preset: 'qwen2-tiny', config: { blockSize: 64, nLayer: 1 } }), {
  tokenizer: () => new ByteTokenizer(),
  setup,
  title: 'policy model conformance (Qwen2-style, biased attention, tied)',
});

describe('hfPolicy plugin', () => {
  it('loads π₀ from a local Hub directory', async () => {
    await setup();
    const run = await createRun({ plugins: [hfPolicy({ path: FIXTURE })] });
    const policy = (await run.resolve(TOKENS.PolicyFactory).create({ tokenizer: new ByteTokenizer(), seed: 1 })) as CausalLmPolicy;
    expect(policy.model).toBeInstanceOf(LlamaModel);
    expect(policy.config).toMatchObject({ nHead: 4, nKvHead: 2, vocabSize: 260 });
    policy.dispose();
    await run.dispose();
  });

  it('names the option when the directory is not a model', async () => {
    await setup();
    const run = await createRun({ plugins: [hfPolicy({ path: __dirname })] });
    await expect(run.resolve(TOKENS.PolicyFactory).create({ tokenizer: new ByteTokenizer(), seed: 1 })).rejects.toThrow(/hf-policy: path .* has no config.json/);
    await run.dispose();
  });

  it('rejects unknown presets and fields with the plugin name', () => {
    expect(() => hfPolicy({ preset: 'llama-huge' as never })).toThrow(/hf-policy/);
    expect(() => hfPolicy({ config: { nLayers: 2 } as never })).toThrow(/hf-policy/);
  });
});

describePolicyModel(() => new HfPolicyFactory({ ...defaults, config: { blockSize: 64, nLayer: 1 }, lora: { r: 4, targetModules: ['q_proj', 'v_proj', 'up_proj'] } }), {
  tokenizer: () => new ByteTokenizer(),
  setup,
  title: 'policy model conformance (Llama-family with a LoRA adapter)',
});
