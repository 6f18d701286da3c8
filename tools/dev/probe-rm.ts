import 'reflect-metadata';
import { createRun, TOKENS, Rng } from '@apogee/core';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { byteTokenizer } from '@apogee/tokenizers';
import { initBackend } from '@apogee/runtime';
import { PreferenceWorld, RESPONSE_STYLES, writeResponse, instanceForPrompt } from '@apogee/world';
import { QUICKSTART_PRESETS } from '../../packages/cli/src/quickstart/presets';
async function main() {
  await initBackend({ backend: 'auto' });
  const [dir, seed] = [process.argv[2], Number(process.argv[3] ?? 1)];
  const preset = QUICKSTART_PRESETS.default;
  const world = new PreferenceWorld({ ...preset.world, seed });
  const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ preset: 'tiny', config: preset.model }), gptReward()] });
  const rm = await run.resolve(TOKENS.RewardFactory).load(dir);
  const rng = Rng.fromSeed(7);
  const prompts = world.testQueries();
  for (const style of RESPONSE_STYLES) {
    const batch = prompts.map((p) => ({ prompt: p.prompt, response: writeResponse(instanceForPrompt(p.prompt)!, style, rng) }));
    const z = await rm.score(batch);
    const g = batch.map((b) => world.goldReward(b.prompt, b.response));
    console.log(style.padEnd(16), 'rm', (z.reduce((a, b) => a + b, 0) / z.length).toFixed(3), 'gold', (g.reduce((a, b) => a + b, 0) / g.length).toFixed(3));
  }
}
main();
