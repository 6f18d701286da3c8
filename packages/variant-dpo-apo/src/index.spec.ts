import 'reflect-metadata';
import { createRun, TOKENS, pluginShapeProblems } from '@apogee/core';
import { GAME_OPTIONS } from '@apogee/game';
import { describePlugin } from '@apogee/testing';
import preset, { dpoApo } from './index';

describePlugin('dpo-apo', (o) => dpoApo(o));

describe('the dpo-apo preset', () => {
  it('is the default export, a plugin factory named "dpo-apo"', () => {
    expect(preset).toBe(dpoApo);
    expect(preset.pluginName).toBe('dpo-apo');
    expect(pluginShapeProblems(preset())).toEqual([]);
  });

  it('plays APO with the dpo update; options reach their plugins; apoSampleNum follows samplesPerQuery', async () => {
    const run = await createRun({
      plugins: [dpoApo({ game: { rm: { lr: 0.5 } }, update: { lr: [0.1, 0.2] } })],
      config: { game: { samplesPerQuery: 3 } },
    });
    const options = run.resolve(GAME_OPTIONS);
    expect(options.apo).toBe(true);
    expect(options.rm.lr).toBe(0.5);
    expect(options.rm.batchSize).toBe(64); // unset fields keep their defaults
    const update = run.resolve(TOKENS.PolicyUpdate) as unknown as { name: string; options: { lr: unknown } };
    expect(update.name).toBe('dpo');
    expect(update.options.lr).toEqual([0.1, 0.2]);
    expect((run.resolve(TOKENS.RewardLoss) as unknown as { options: { apoSampleNum: number } }).options.apoSampleNum).toBe(3);
    await run.dispose();
  });

  it('rejects an unknown part of its options, naming it', () => {
    expect(() => dpoApo({ sampler: {} } as never)).toThrow(expect.objectContaining({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID' }));
    expect(() => dpoApo({ update: { lr: -1 } })).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'lr' })] }));
  });
});
