// Dev probe (issue #13, world validity): RM_Base's accuracy on pairs of π₀'s own held-out samples
// under other human-pair counts / RM epochs, trained exactly as the game's round-1 RM (same init
// and order streams), from a finished quickstart's π₀ (units/seed-N/pi0/unit.json + models/).
//   tsx tools/dev/probe-rmbase.ts <quickstart-dir> <seed> 'name={"pairs":8,"epochs":3}' ...
import 'reflect-metadata';
import { buildSamePairs, pairAccuracy, preferenceAccuracy, scoreItems } from '@apogee/eval';
import { initBackend } from '@apogee/runtime';
import { PreferenceWorld } from '@apogee/world';
import { openPi0, poolHeldOut, preset, trainRmBase } from './rmbase-kit';

async function main() {
  const [dir, seedArg, ...configs] = process.argv.slice(2);
  const seed = Number(seedArg);
  await initBackend({ backend: 'auto' });
  const { held, run, pi0 } = await openPi0(dir, seed);
  for (const cfg of configs) {
    const eq = cfg.indexOf('=');
    const o = JSON.parse(cfg.slice(eq + 1)) as { pairs: number; epochs: number; lr?: number };
    const world = new PreferenceWorld({ ...preset.world, humanPairsPerPrompt: o.pairs, seed });
    const data = world.gameData();
    const { pooled, texts } = poolHeldOut(data.testQueries, held);
    const c = process.cpuUsage();
    const rm = await trainRmBase(run, pi0, data, seed, o);
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
