// Dev probe (issue #13, world validity): where RM_Base goes wrong on pairs of π₀'s own held-out
// samples. Trains RM_Base as the game's round-1 RM from a finished quickstart's π₀, then splits
// the same-pair accuracy by what separates the two responses in gold (style class, correctness).
//   tsx tools/dev/probe-rmbase-errors.ts <quickstart-dir> <seed> [--rows]
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRun, Rng, TOKENS } from '@apogee/core';
import { buildSamePairs } from '@apogee/eval';
import { trainRewardModel } from '@apogee/game';
import { ApoRewardLoss } from '@apogee/losses';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { initBackend } from '@apogee/runtime';
import { byteTokenizer } from '@apogee/tokenizers';
import { PreferenceWorld } from '@apogee/world';
import { QUICKSTART_PRESETS } from '../../packages/cli/src/quickstart/presets';

async function main() {
  const [dir, seedArg, override] = process.argv.slice(2);
  const rows = process.argv.includes('--rows');
  const seed = Number(seedArg);
  await initBackend({ backend: 'auto' });
  const preset = QUICKSTART_PRESETS.default;
  const unit = JSON.parse(fs.readFileSync(path.join(dir, 'units', `seed-${seed}`, 'pi0', 'unit.json'), 'utf8'));
  const held = unit.result.heldOut as { responses: string[][]; gold: number[][] };
  const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ preset: 'tiny', config: preset.model }), gptReward()] });
  const pi0 = await run.resolve(TOKENS.PolicyFactory).load(path.join(dir, 'models', `seed-${seed}`, 'pi0'));
  const world = new PreferenceWorld({ ...preset.world, ...(override && override !== '--rows' ? JSON.parse(override) : {}), seed });
  const data = world.gameData();
  const pooled: { promptId: string; gold: number }[] = [];
  const texts: { prompt: string; response: string }[] = [];
  const cls: string[] = [];
  data.testQueries.forEach((p, i) => {
    const seen = new Set<string>();
    held.responses[i].forEach((r, k) => {
      if (seen.has(r)) return;
      seen.add(r);
      pooled.push({ promptId: p.queryId, gold: held.gold[i][k] });
      texts.push({ prompt: p.prompt, response: r });
      const b = world.goldBreakdown(p.prompt, r);
      const s = !b.wellFormed ? 'bad' : b.courtesyPhrases >= 2 ? 'c2' : `c${b.courtesyPhrases}`;
      cls.push(`${s}/${b.correctness === 1 ? 'R' : b.correctness > 0 ? 'H' : 'W'}`);
    });
  });
  const rng = Rng.fromSeed(seed).stream('game').stream('r1/train-rm');
  const rm = await run.resolve(TOKENS.RewardFactory).fromPolicy(pi0, { seed: rng.stream('init').seed() });
  const loss = new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: 0, apoSampleNum: preset.samplesPerQuery, variant: 'ranking', centeringCoeff: 0 });
  await trainRewardModel(rm, data.humanItems, loss, { weightDecay: 0, gradClip: 1, ...preset.rm }, rng.stream('order'), { onStep: async () => undefined, shouldStop: () => false });
  const set = buildSamePairs(pooled);
  const scores = await rm.score(texts, { batchSize: 64 });
  const by = new Map<string, { n: number; ok: number }>();
  let ok = 0;
  for (const p of set.pairs) {
    const [hi, lo] = [p.better, p.worse];
    const right = scores[hi] > scores[lo] ? 1 : scores[hi] === scores[lo] ? 0.5 : 0;
    ok += right;
    const key = `${cls[hi]} > ${cls[lo]}`;
    const e = by.get(key) ?? { n: 0, ok: 0 };
    e.n++; e.ok += right; by.set(key, e);
  }
  const sorted = [...by.entries()].sort((a, b) => b[1].n - a[1].n);
  console.log(JSON.stringify({ seed, override, acc: +(ok / set.pairs.length).toFixed(3), pairs: set.pairs.length }));
  if (rows) for (const [k, e] of sorted) console.log(`${seed}\t${k}\t${e.n}\t${(e.ok / e.n).toFixed(2)}\t${((e.n - e.ok) / set.pairs.length).toFixed(3)}`);
  await rm.dispose(); await pi0.dispose(); await run.dispose();
}
main().catch((e) => { console.error(e); process.exit(1); });
