// The README's usage example, verbatim in substance: it must keep working.
import 'reflect-metadata';
import { createRun, definePlugin, token, TOKENS } from './src';

it('README example runs', async () => {
  const GREETING = token<string>('my-plugin', 'Greeting');
  const greeting = definePlugin<{ text: string }>('greeting', { provides: [GREETING], defaults: { text: 'hello' },
    register: (container, o) => container.register(GREETING, { useValue: o.text }) });
  const run = await createRun({ plugins: [greeting({ text: 'hi' })], config: { seed: 1 } });
  run.check([GREETING]);
  const text = run.resolve(GREETING);
  const draw = run.resolve(TOKENS.Rng).stream('demo').int(10);
  await run.dispose();
  expect(text).toBe('hi');
  expect(draw).toBe((await createRun({ config: { seed: 1 } })).resolve(TOKENS.Rng).stream('demo').int(10));
});
