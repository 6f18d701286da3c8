// Smoke run of the core until the quickstart exists: build a run from plugins, check providers,
// draw from seeded streams, dispose. Prints what it did.
import 'reflect-metadata';
import { createRun, definePlugin, token, TOKENS } from '@apogee/core';

const GREETING = token<string>('@apogee/smoke', 'Greeting');
const greeting = definePlugin<{ text: string }>('greeting', {
  provides: [GREETING],
  defaults: { text: 'hello from apogee' },
  register: (c, o) => c.register(GREETING, { useValue: o.text }),
});

async function main() {
  const run = await createRun({ plugins: [greeting()], config: { seed: 7 } });
  run.check([GREETING, TOKENS.Config, TOKENS.Rng]);
  const rng = run.resolve(TOKENS.Rng).stream('smoke');
  console.log(run.resolve(GREETING));
  console.log(`seed ${run.config.seed}: first draws ${[rng.int(100), rng.int(100), rng.int(100)].join(', ')}`);
  await run.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
