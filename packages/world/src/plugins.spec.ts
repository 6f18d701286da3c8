import 'reflect-metadata';
import { createRun, TOKENS, type GameData } from '@apogee/core';
import { goldJudge, WORLD, worldDataSource } from './plugins';

describe('world plugins', () => {
  it('register the world as the data source and its gold reward as the judge', async () => {
    const run = await createRun({ plugins: [worldDataSource({ rmPrompts: 10, llmPrompts: 10, testPrompts: 5, sftDemos: 50 }), goldJudge()], config: { seed: 9 } });
    run.check([TOKENS.GameDataSource, TOKENS.Judge]);
    const data: GameData = await run.resolve(TOKENS.GameDataSource).load();
    expect(data.rmQueries).toHaveLength(10);
    expect(data.testQueries).toHaveLength(5);
    expect(data.sftDemos).toHaveLength(50);
    const judge = run.resolve(TOKENS.Judge);
    expect(judge.name).toBe('gold');
    const scores = await judge.score(data.golden.map((g) => ({ prompt: g.prompt!, response: g.golden })));
    expect(Array.from(scores)).toEqual(data.golden.map(() => 1));
    // the seed comes from the run: same run seed, same world; another seed, another world
    const again = await createRun({ plugins: [worldDataSource({ rmPrompts: 10, llmPrompts: 10, testPrompts: 5, sftDemos: 50 })], config: { seed: 9 } });
    expect(await again.resolve(TOKENS.GameDataSource).load()).toEqual(data);
    const other = await createRun({ plugins: [worldDataSource({ rmPrompts: 10, llmPrompts: 10, testPrompts: 5, sftDemos: 50 })], config: { seed: 10 } });
    expect((await other.resolve(TOKENS.GameDataSource).load()).rmQueries).not.toEqual(data.rmQueries);
    expect(run.resolve(WORLD).options.rmPrompts).toBe(10);
    await Promise.all([run.dispose(), again.dispose(), other.dispose()]);
  });

  it('fails at run creation on bad options', async () => {
    await expect(createRun({ plugins: [worldDataSource({ testPrompts: -2 })] })).rejects.toMatchObject({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID', problems: [{ path: 'testPrompts' }] });
  });
});
