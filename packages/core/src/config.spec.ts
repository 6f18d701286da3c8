import { ApogeeError, ERROR_CODES } from './errors';
import { parseConfig } from './config';

describe('parseConfig', () => {
  it('fills every default from an empty config', () => {
    const c = parseConfig({});
    expect(c.seed).toBe(1);
    expect(c.backend).toBe('auto');
    expect(c.game).toEqual({ rounds: 3, rmInit: 'base', samplesPerQuery: 4, stop: ['\nHuman'], maxNewTokens: 256 });
  });

  it('reports every problem at once, each with its path and the allowed values', () => {
    let err: ApogeeError | undefined;
    try {
      parseConfig({ seed: -3, backend: 'gpu', game: { rounds: 0, rmInit: 'restart' }, plugins: ['ok', [1, {}]], extra: 1 });
    } catch (e) {
      err = e as ApogeeError;
    }
    expect(err).toBeInstanceOf(ApogeeError);
    expect(err!.code).toBe(ERROR_CODES.CONFIG_INVALID);
    const paths = err!.problems.map((p) => p.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['seed', 'backend', 'game.rounds', 'game.rmInit', 'plugins[1]', '(root)']));
    const rmInit = err!.problems.find((p) => p.path === 'game.rmInit')!;
    expect(rmInit.message).toMatch(/"base"\|"continue"/);
    const backend = err!.problems.find((p) => p.path === 'backend')!;
    expect(backend.message).toMatch(/"auto"\|"tensorflow"\|"apogee-cpu"\|"cpu"/);
    expect(err!.describe()).toContain('game.rounds');
  });

  it('accepts plugins as names or [name, options]', () => {
    const c = parseConfig({ plugins: ['a', ['b', { beta: 0.1 }]] });
    expect(c.plugins).toEqual(['a', ['b', { beta: 0.1 }]]);
  });
});
