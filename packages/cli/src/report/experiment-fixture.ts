import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Rng } from '@apogee/core';
import { bestOfNCurve, CLAIM_IDS, pairedClaim, type BestOfNRow, type Claim, type FrontierRow } from '@apogee/eval';

/**
 * Test helper: add `claims`, `frontier` and `bestOfN` blocks, computed by @apogee/eval from seeded
 * synthetic per-seed results, to the summary.json in `dir` (so a report test exercises the real
 * statistics, not hand-typed numbers). Returns the blocks written.
 */
export function writeExperimentSummary(dir: string): { claims: Claim[]; frontier: FrontierRow[]; bestOfN: BestOfNRow[] } {
  const rng = Rng.fromSeed(13, 'report-fixture');
  const seeds = Array.from({ length: 10 }, (_, i) => i + 1);
  // Fixed per-seed values for three claims (oracle 9/10 positive, rrhf 5/5 positive, dpo all negative); the rest seeded noise.
  const plan: Record<string, { values: number[] }> = {
    'world.oracleBeatsPi0': { values: [0.14, 0.11, 0.2, 0.09, 0.16, -0.02, 0.12, 0.13, 0.18, 0.1] },
    'rrhf.apoBeatsBaseline': { values: [0.03, 0.05, 0.02, 0.04, 0.06] },
    'dpo.apoBeatsBaseline': { values: seeds.map(() => -0.05 - 0.02 * rng.float()) },
  };
  const claims = CLAIM_IDS.map((id) => {
    const values = plan[id]?.values ?? seeds.map(() => 0.01 + 0.05 * rng.normal());
    return pairedClaim({ id, perSeed: values.map((value, i) => ({ seed: seeds[i], value })) });
  });
  const arms: Record<string, { rate: number; peak: number }> = {
    oracle: { rate: 1.5, peak: 0.35 },
    rjs: { rate: 2, peak: 0.12 },
    'rjs-apo': { rate: 1.8, peak: 0.18 },
    dpo: { rate: 3, peak: 0.08 },
    'dpo-apo': { rate: 2.6, peak: 0.1 },
  };
  const frontier: FrontierRow[] = [];
  for (const seed of seeds.slice(0, 3)) {
    for (const [arm, { rate, peak }] of Object.entries(arms)) {
      for (let round = 0; round <= 3; round++) {
        const kl = round === 0 ? 0 : rate * round * (1 + 0.1 * rng.normal());
        // Gold rises, then (for RM-driven arms) falls with KL: over-optimisation.
        const gold = 0.4 + peak * Math.sqrt(kl) - (arm === 'oracle' ? 0 : 0.04 * kl) + 0.01 * rng.normal();
        frontier.push({ arm, round, seed, kl, gold });
      }
    }
  }
  const prompts = (selector: 'gold' | 'RM_Base' | 'RM_APO') =>
    Array.from({ length: 20 }, (_, p) => {
      const r = Rng.fromSeed(p, 'report-fixture/prompt');
      const gold = Array.from({ length: 16 }, () => r.float());
      const exploit = Array.from({ length: 16 }, () => r.normal());
      const scores = gold.map((g, i) => (selector === 'gold' ? g : g + (selector === 'RM_Base' ? 0.6 : 0.3) * exploit[i]));
      return { gold, scores };
    });
  const bestOfN: BestOfNRow[] = (['gold', 'RM_Base', 'RM_APO'] as const).flatMap((rm) =>
    bestOfNCurve(prompts(rm), { ns: [1, 2, 4, 8, 16] }).map((p) => ({ rm, ...p })),
  );
  const file = path.join(dir, 'summary.json');
  const summary = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...summary, claims, frontier, bestOfN }, null, 2));
  return { claims, frontier, bestOfN };
}
