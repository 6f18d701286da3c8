// Dev probe (issue #13, world validity): where RM_Base goes wrong on pairs of π₀'s own held-out
// samples. Trains RM_Base as the game's round-1 RM from a finished quickstart's π₀, then splits
// the same-pair accuracy by what separates the two responses in gold (style class, correctness).
//   tsx tools/dev/probe-rmbase-errors.ts <quickstart-dir> <seed> [world override JSON] [--rows]
import 'reflect-metadata';
import { buildSamePairs } from '@apogee/eval';
import { initBackend } from '@apogee/runtime';
import { PreferenceWorld } from '@apogee/world';
import { openPi0, poolHeldOut, preset, trainRmBase } from './rmbase-kit';

async function main() {
  const rows = process.argv.includes('--rows');
  const [dir, seedArg, override] = process.argv.slice(2).filter((a) => a !== '--rows');
  const seed = Number(seedArg);
  await initBackend({ backend: 'auto' });
  const { held, run, pi0 } = await openPi0(dir, seed);
  const world = new PreferenceWorld({ ...preset.world, ...(override ? JSON.parse(override) : {}), seed });
  const data = world.gameData();
  const { pooled, texts } = poolHeldOut(data.testQueries, held);
  const cls = texts.map(({ prompt, response }) => {
    const b = world.goldBreakdown(prompt, response);
    const s = !b.wellFormed ? 'bad' : b.courtesyPhrases >= 2 ? 'c2' : `c${b.courtesyPhrases}`;
    return `${s}/${b.correctness === 1 ? 'R' : b.correctness > 0 ? 'H' : 'W'}`;
  });
  const rm = await trainRmBase(run, pi0, data, seed);
  const set = buildSamePairs(pooled);
  const scores = await rm.score(texts, { batchSize: 64 });
  const by = new Map<string, { n: number; ok: number }>();
  let ok = 0;
  for (const { better, worse } of set.pairs) {
    const right = scores[better] > scores[worse] ? 1 : scores[better] === scores[worse] ? 0.5 : 0;
    ok += right;
    const key = `${cls[better]} > ${cls[worse]}`;
    const e = by.get(key) ?? { n: 0, ok: 0 };
    e.n++;
    e.ok += right;
    by.set(key, e);
  }
  console.log(JSON.stringify({ seed, override, acc: +(ok / set.pairs.length).toFixed(3), pairs: set.pairs.length }));
  if (rows) for (const [k, e] of [...by.entries()].sort((a, b) => b[1].n - a[1].n)) console.log(`${seed}\t${k}\t${e.n}\t${(e.ok / e.n).toFixed(2)}\t${((e.n - e.ok) / set.pairs.length).toFixed(3)}`);
  await rm.dispose();
  await pi0.dispose();
  await run.dispose();
}
main().catch((e) => { console.error(e); process.exit(1); });
