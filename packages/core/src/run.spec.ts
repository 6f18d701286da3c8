import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { ApogeeError, ERROR_CODES } from './errors';
import { definePlugin } from './plugin';
import { providersOf } from './known-plugins';
import { createRun } from './run';
import { token, tokenName, type Token } from './tokens';
import { TOKENS } from './tokens-registry';
import type { Sampler } from './contracts/sampler';

interface Greeter { greet(): string }
const GREETER = token<Greeter>('@apogee/test', 'Greeter');
const GREETING = token<string>('@apogee/test', 'Greeting');

@injectable()
class PoliteGreeter implements Greeter {
  disposed = 0;
  constructor(@inject(GREETING) private readonly greeting: string) {}
  greet() { return `${this.greeting}, please`; }
  dispose() { this.disposed++; }
}

const politeGreeter = definePlugin<{ greeting: string }>('polite-greeter', {
  provides: [GREETER],
  defaults: { greeting: 'hello' },
  register(c, options) {
    c.register(GREETING, { useValue: options.greeting });
    c.register(GREETER, { useClass: PoliteGreeter });
  },
});

const loudGreeter = definePlugin('loud-greeter', {
  provides: [GREETER],
  register(c) { c.register(GREETER, { useValue: { greet: () => 'HELLO' } }); },
});

describe('tokens', () => {
  it('are Symbol.for symbols, so duplicate package copies agree', () => {
    expect(token('@apogee/x', 'Y')).toBe(Symbol.for('@apogee/x:Y'));
    expect(tokenName(TOKENS.Sampler)).toBe('@apogee/core:Sampler');
  });

  it('carry their type to resolve()', async () => {
    const run = await createRun({ plugins: [politeGreeter()] });
    const g: Greeter = run.resolve(GREETER);
    // @ts-expect-error a Greeter token does not resolve to a Sampler
    const wrong: Sampler = run.resolve(GREETER);
    expect(wrong).toBeInstanceOf(PoliteGreeter);
    expect(g.greet()).toBe('hello, please');
    const typed: Token<Greeter> = GREETER;
    expect(typeof typed).toBe('symbol');
    await run.dispose();
  });
});

describe('createRun', () => {
  it('registers config, RNG and logger, and applies plugin options over defaults', async () => {
    const run = await createRun({ plugins: [politeGreeter({ greeting: 'good day' })], config: { seed: 4 } });
    expect(run.resolve(GREETER).greet()).toBe('good day, please');
    expect(run.resolve(TOKENS.Config).seed).toBe(4);
    expect(run.resolve(TOKENS.Rng).name).toBe('root');
    await run.dispose();
  });

  it('lets the last plugin registering a token win', async () => {
    const a = await createRun({ plugins: [politeGreeter(), loudGreeter()] });
    expect(a.resolve(GREETER).greet()).toBe('HELLO');
    const b = await createRun({ plugins: [loudGreeter(), politeGreeter()] });
    expect(b.resolve(GREETER).greet()).toBe('hello, please');
    await a.dispose();
    await b.dispose();
  });

  it('keeps runs isolated from each other and from the global container', async () => {
    const a = await createRun({ plugins: [loudGreeter()] });
    const b = await createRun({ plugins: [] });
    expect(b.container.isRegistered(GREETER, true)).toBe(false);
    const { container } = require('tsyringe') as typeof import('tsyringe');
    expect(container.isRegistered(GREETER, true)).toBe(false);
    await a.dispose();
    await b.dispose();
  });

  it('disposes models the container created and resources the run owns', async () => {
    const run = await createRun({ plugins: [politeGreeter()] });
    const g = run.resolve(GREETER) as PoliteGreeter;
    const owned = { dispose: jest.fn() };
    run.own(owned);
    await run.dispose();
    expect(g.disposed).toBe(1);
    expect(owned.dispose).toHaveBeenCalledTimes(1);
    await run.dispose(); // idempotent
    expect(g.disposed).toBe(1);
  });

  it('names each missing token and the known plugins that provide it (core names no downstream package)', async () => {
    const known = [
      { name: 'gpt-policy', package: '@apogee/policy', provides: [TOKENS.PolicyFactory] },
      { name: 'hf-policy', package: '@apogee/policy', provides: [TOKENS.PolicyFactory] },
      { name: 'sampler', package: '@apogee/samplers', provides: [TOKENS.Sampler, TOKENS.EvalSampler] },
    ];
    const run = await createRun({ plugins: [politeGreeter()], known });
    expect(() => run.check([GREETER, TOKENS.Config])).not.toThrow();
    let err: ApogeeError | undefined;
    try {
      run.check([TOKENS.PolicyFactory, TOKENS.Sampler, GREETER, TOKENS.Judge]);
    } catch (e) {
      err = e as ApogeeError;
    }
    expect(err?.code).toBe(ERROR_CODES.MISSING_PROVIDER);
    expect(err?.problems).toEqual([
      { path: '@apogee/core:PolicyFactory', message: 'not registered; usually provided by @apogee/policy (gpt-policy or hf-policy)' },
      { path: '@apogee/core:Sampler', message: 'not registered; usually provided by @apogee/samplers (sampler)' },
      { path: '@apogee/core:Judge', message: 'not registered by any plugin' },
    ]);
    await run.dispose();
    // Without a list of known plugins the error still names every missing token.
    const bare = await createRun();
    expect(() => bare.check([TOKENS.PolicyFactory])).toThrow(expect.objectContaining({ problems: [{ path: '@apogee/core:PolicyFactory', message: 'not registered by any plugin' }] }));
    await bare.dispose();
  });

  it('names at most three packages for a missing token, and counts the rest', () => {
    const known = ['a', 'b', 'c', 'd', 'e'].map((x) => ({ name: `${x}-update`, package: `@x/${x}`, provides: [TOKENS.PolicyUpdate] }));
    expect(providersOf(TOKENS.PolicyUpdate, known)).toBe('@x/a (a-update), @x/b (b-update), @x/c (c-update) or 2 more');
    expect(providersOf(TOKENS.PolicyUpdate, [{ name: 'mine', provides: [TOKENS.PolicyUpdate] }])).toBe('mine');
    expect(providersOf(TOKENS.Judge, known)).toBeUndefined();
  });

  it('validates plugin options and names the plugin and field', () => {
    const { z } = require('zod') as typeof import('zod');
    const withSchema = definePlugin<{ beta: number }>('beta-plugin', {
      defaults: { beta: 0.1 },
      schema: z.object({ beta: z.number().positive() }),
      register() {},
    });
    expect(withSchema().options).toEqual({ beta: 0.1 });
    expect(() => withSchema({ beta: -1 })).toThrow(/Options of plugin "beta-plugin"/);
    try {
      withSchema({ beta: -1 });
    } catch (e) {
      expect((e as ApogeeError).problems[0].path).toBe('beta');
    }
  });

  it('rejects an invalid config before registering anything', async () => {
    await expect(createRun({ config: { game: { rounds: -1 } } as never })).rejects.toThrow(/game\.rounds|problem/);
  });
});
