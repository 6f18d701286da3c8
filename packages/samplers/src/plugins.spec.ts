import { createRun, Rng, TOKENS, type ApogeeError } from '@apogee/core';
import { describePlugin } from '@apogee/testing';
import { FusedSampler } from './fused-sampler';
import { evalSampler, sampler, SAMPLER_PLUGINS } from './plugins';
import { generateOptions, testSampling, trainingSampling } from './presets';

describePlugin('sampler', sampler, { options: { temperature: 0.7, topK: 10 } });
describePlugin('eval-sampler', evalSampler);

describe('sampler plugins', () => {
  it('register the reference training and test samplers under TOKENS.Sampler and TOKENS.EvalSampler', async () => {
    const run = await createRun({ plugins: [sampler(), evalSampler()] });
    const train = run.resolve(TOKENS.Sampler) as FusedSampler;
    const test = run.resolve(TOKENS.EvalSampler) as FusedSampler;
    expect(train.options).toEqual({ temperature: 1.2, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, greedy: false });
    expect(test.options).toEqual({ temperature: 0.3, topK: 5, topP: 0.85, minP: 0, repetitionPenalty: 1.05, greedy: false });
    await run.dispose();
  });

  it('are selectable by name and validate options, naming the plugin and field', () => {
    expect(Object.keys(SAMPLER_PLUGINS)).toEqual(['sampler', 'eval-sampler']);
    expect(SAMPLER_PLUGINS['eval-sampler']({ topK: 3 }).options).toMatchObject({ topK: 3, temperature: 0.3 });
    let err: ApogeeError | undefined;
    try {
      sampler({ topP: 2 });
    } catch (e) {
      err = e as ApogeeError;
    }
    expect(err?.code).toBe('APOGEE_PLUGIN_OPTIONS_INVALID');
    expect(err?.describe()).toMatch(/plugin "sampler"[\s\S]*topP/);
  });
});

describe('presets', () => {
  it('bundle the APO reference settings (docs/concepts/apo.md §6)', () => {
    expect(trainingSampling).toEqual({ sampler: { temperature: 1.2, topP: 1 }, n: 4, maxNewTokens: 256, stop: ['\nHuman'] });
    expect(testSampling).toEqual({ sampler: { temperature: 0.3, topK: 5, topP: 0.85, repetitionPenalty: 1.05 }, n: 1, maxNewTokens: 512, stop: ['\nHuman'] });
  });

  it('turn into GenerateOptions with a fresh sampler and overrides', () => {
    const rng = Rng.fromSeed(1);
    const o = generateOptions(trainingSampling, rng, { maxNewTokens: 16 });
    expect(o.sampler).toBeInstanceOf(FusedSampler);
    expect(o.sampler.name).toBe('sampler(temperature=1.2)');
    expect(o).toMatchObject({ rng, n: 4, maxNewTokens: 16, stop: ['\nHuman'] });
  });
});
