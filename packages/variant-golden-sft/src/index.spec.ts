import 'reflect-metadata';
import { createRun, TOKENS, pluginShapeProblems } from '@apogee/core';
import { GAME_OPTIONS } from '@apogee/game';
import { describePlugin } from '@apogee/testing';
import preset, { goldenSft } from './index';

describePlugin('golden-sft', (o) => goldenSft(o));

describe('the golden-sft preset', () => {
  it('is the default export, a plugin factory named "golden-sft"', () => {
    expect(preset).toBe(goldenSft);
    expect(preset.pluginName).toBe('golden-sft');
    expect(pluginShapeProblems(preset())).toEqual([]);
  });

  it('plays the baseline with the golden-sft update; options reach their plugins; apoSampleNum follows samplesPerQuery', async () => {
    const run = await createRun({
      plugins: [goldenSft({ game: { rm: { lr: 0.5 } }, update: { lr: [0.1, 0.2] } })],
      config: { game: { samplesPerQuery: 3 } },
    });
    const options = run.resolve(GAME_OPTIONS);
    expect(options.apo).toBe(false);
    expect(options.rm.lr).toBe(0.5);
    expect(options.rm.batchSize).toBe(64); // unset fields keep their defaults
    const update = run.resolve(TOKENS.PolicyUpdate) as unknown as { name: string; options: { lr: unknown } };
    expect(update.name).toBe('golden-sft');
    expect(update.options.lr).toEqual([0.1, 0.2]);
    expect((run.resolve(TOKENS.RewardLoss) as unknown as { options: { apoSampleNum: number } }).options.apoSampleNum).toBe(3);
    await run.dispose();
  });

  it('rejects an unknown part of its options, naming it', () => {
    expect(() => goldenSft({ sampler: {} } as never)).toThrow(expect.objectContaining({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID' }));
    expect(() => goldenSft({ update: { lr: -1 } })).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'lr' })] }));
  });
});
