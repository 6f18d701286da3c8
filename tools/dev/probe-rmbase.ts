// Dev probe (issue #13, world validity): RM_Base's accuracy on pairs of π₀'s own held-out samples
// under other human-pair counts / RM epochs, trained exactly as the game's round-1 RM (same init
// and order streams), from a finished quickstart's π₀ (units/seed-N/pi0/unit.json + models/).
//   tsx tools/dev/probe-rmbase.ts <quickstart-dir> <seed> 'name={"pairs":8,"epochs":3}' ...
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRun, Rng, TOKENS } from '@apogee/core';
import { buildSamePairs, pairAccuracy, preferenceAccuracy, scoreItems } from '@apogee/eval';
import { trainRewardModel } from '@apogee/game';
import { ApoRewardLoss } from '@apogee/losses';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { initBackend } from '@apogee/runtime';
import { byteTokenizer } from '@apogee/tokenizers';
import { PreferenceWorld } from '@apogee/world';
import { QUICKSTART_PRESETS } from '../../packages/cli/src/quickstart/presets';

async function main() {
  const [dir, seedArg, ...configs] = process.argv.slice(2);
  const seed = Number(seedArg);
  await initBackend({ backend: 'auto' });
  const preset = QUICKSTART_PRESETS.default;
  const unit = JSON.parse(fs.readFileSync(path.join(dir, 'units', `seed-${seed}`, 'pi0', 'unit.json'), 'utf8'));
  const held = unit.result.heldOut as { responses: string[][]; gold: number[][] };
  const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ preset: 'tiny', config: preset.model }), gptReward()] });
  const pi0 = await run.resolve(TOKENS.PolicyFactory).load(path.join(dir, 'models', `seed-${seed}`, 'pi0'));
  for (const cfg of configs) {
    const eq = cfg.indexOf('=');
    const o = JSON.parse(cfg.slice(eq + 1)) as { pairs: number; epochs: number; lr?: number };
    const world = new PreferenceWorld({ ...preset.world, humanPairsPerPrompt: o.pairs, seed });
    const data = world.gameData();
    const prompts = data.testQueries;
    const pooled: { promptId: string; gold: number }[] = [];
    const texts: { prompt: string; response: string }[] = [];
    prompts.forEach((p, i) => {
      const seen = new Set<string>();
      held.responses[i].forEach((r, k) => {
        if (seen.has(r)) return;
        seen.add(r);
        pooled.push({ promptId: p.queryId, gold: held.gold[i][k] });
        texts.push({ prompt: p.prompt, response: r });
      });
    });
    const rng = Rng.fromSeed(seed).stream('game').stream('r1/train-rm');
    const rm = await run.resolve(TOKENS.RewardFactory).fromPolicy(pi0, { seed: rng.stream('init').seed() });
    const loss = new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: 0, apoSampleNum: preset.samplesPerQuery, variant: 'ranking', centeringCoeff: 0 });
    const c = process.cpuUsage();
    await trainRewardModel(rm, data.humanItems, loss, { weightDecay: 0, gradClip: 1, ...preset.rm, epochs: o.epochs, lr: o.lr ?? preset.rm.lr }, rng.stream('order'), { onStep: async () => undefined, shouldStop: () => false });
    const u = process.cpuUsage(c);
    const set = buildSamePairs(pooled);
    const acc = pairAccuracy(set.pairs, await rm.score(texts, { batchSize: 64 }));
    const hAcc = preferenceAccuracy(await scoreItems(rm, data.testItems, 64));
    console.log(JSON.stringify({ seed, name: cfg.slice(0, eq), accPi0: +acc.toFixed(3), pairs: set.pairs.length, heldOutRaters: +hAcc.toFixed(3), humanItems: data.humanItems.length, cpu: +((u.user + u.system) / 1e6).toFixed(1) }));
    await rm.dispose();
  }
  await pi0.dispose();
  await run.dispose();
}
main().catch((e) => { console.error(e); process.exit(1); });
