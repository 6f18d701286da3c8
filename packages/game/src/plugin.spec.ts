import 'reflect-metadata';
import { createRun, TOKENS } from '@apogee/core';
import { gptPolicy } from '@apogee/policy';
import { describePlugin } from '@apogee/testing';
import { GAME_OPTIONS, gameApo } from './options';
import { apoGame } from './plugin';
import { tinyPlugins } from '../test/tiny-game';

// The controller is given its parts, so resolving it needs the plugins that provide them.
describePlugin('apo-game', (o) => apoGame(o), { dependencies: () => tinyPlugins().filter((p) => p.name !== 'apo-game') });

describe('apoGame', () => {
  it('fills nested defaults under partial options and rejects bad ones, naming the field', async () => {
    const run = await createRun({ plugins: [apoGame({ rm: { lr: 1e-4 } })] });
    expect(run.resolve(GAME_OPTIONS).rm).toEqual({ lr: 1e-4, epochs: 1, batchSize: 64, warmupSteps: 100, schedule: 'linear', weightDecay: 0, gradClip: 1 });
    await run.dispose();
    expect(() => apoGame({ rm: { schedule: 'step' as never } })).toThrow(expect.objectContaining({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID', problems: [expect.objectContaining({ path: 'rm.schedule' })] }));
  });

  it('names every missing provider and the plugin that usually provides it before doing any work', async () => {
    // Whoever assembles the run says which plugins it knows (the CLI: its built-ins); core names none.
    const run = await createRun({ plugins: [apoGame()], known: [{ name: 'gpt-policy', package: '@apogee/policy', provides: gptPolicy.provides }] });
    // Resolving the controller checks its parts (it is given them by constructor injection).
    const error = await Promise.resolve()
      .then(() => run.resolve(TOKENS.GameController).run())
      .catch((e: unknown) => e);
    await run.dispose();
    expect(error).toMatchObject({ code: 'APOGEE_MISSING_PROVIDER' });
    const paths = (error as { problems: Array<{ path: string; message: string }> }).problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['@apogee/core:PolicyFactory', '@apogee/core:RewardFactory', '@apogee/core:PolicyUpdate', '@apogee/core:GameDataSource', '@apogee/core:Tokenizer']));
    expect((error as { problems: Array<{ message: string }> }).problems[0].message).toBe('not registered; usually provided by @apogee/policy (gpt-policy)');
  });

  it('has one place for apo: the plugin option decides, a config that repeats it is fine, one that disagrees is refused naming game.apo', async () => {
    expect(gameApo(undefined, undefined)).toBe(true);
    expect(gameApo(false, undefined)).toBe(false);
    expect(gameApo(undefined, false)).toBe(false);
    expect(gameApo(true, true)).toBe(true);
    const error = await createRun({ plugins: [apoGame({ apo: false })], config: { game: { apo: true } } }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'APOGEE_CONFIG_INVALID',
      problems: [{ path: 'game.apo', message: 'is true, but the apo-game plugin plays the RM_Base baseline (apo: false)' }],
      hint: expect.stringContaining('Delete game.apo from the config'),
    });
    const run = await createRun({ plugins: [apoGame({ apo: false })], config: { game: { apo: false } } });
    expect(run.resolve(GAME_OPTIONS).apo).toBe(false);
    await run.dispose();
  });
});
