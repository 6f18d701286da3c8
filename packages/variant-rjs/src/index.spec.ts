import 'reflect-metadata';
import { createRun, TOKENS, pluginShapeProblems } from '@apogee/core';
import { GAME_OPTIONS } from '@apogee/game';
import { describePlugin } from '@apogee/testing';
import preset, { rjs } from './index';

describePlugin('rjs', (o) => rjs(o));

describe('the rjs preset', () => {
  it('is the default export, a plugin factory named "rjs"', () => {
    expect(preset).toBe(rjs);
    expect(preset.pluginName).toBe('rjs');
    expect(pluginShapeProblems(preset())).toEqual([]);
  });

  it('plays the baseline with the rjs update; options reach their plugins; apoSampleNum follows samplesPerQuery', async () => {
    const run = await createRun({
      plugins: [rjs({ game: { rm: { lr: 0.5 } }, update: { lr: [0.1, 0.2] } })],
      config: { game: { samplesPerQuery: 3 } },
    });
    const options = run.resolve(GAME_OPTIONS);
    expect(options.apo).toBe(false);
    expect(options.rm.lr).toBe(0.5);
    expect(options.rm.batchSize).toBe(64); // unset fields keep their defaults
    const update = run.resolve(TOKENS.PolicyUpdate) as unknown as { name: string; options: { lr: unknown } };
    expect(update.name).toBe('rjs');
    expect(update.options.lr).toEqual([0.1, 0.2]);
    expect((run.resolve(TOKENS.RewardLoss) as unknown as { options: { apoSampleNum: number } }).options.apoSampleNum).toBe(3);
    await run.dispose();
  });

  it('rejects an unknown part of its options, naming it', () => {
    expect(() => rjs({ sampler: {} } as never)).toThrow(expect.objectContaining({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID' }));
    expect(() => rjs({ update: { lr: -1 } })).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'lr' })] }));
  });
});
