import { createRun, TOKENS, type PromptRecord, type PromptResponse, type RewardModel } from '@apogee/core';
import {
  accuracyTable,
  bestOfNCurve,
  bootstrapMeanCi,
  mean,
  buildSamePairs,
  gapClosed,
  mcnemarExact,
  scoreSamples,
  type ClaimId,
  type PooledSample,
} from '@apogee/eval';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { byteTokenizer } from '@apogee/tokenizers';
import type { PreferenceWorld } from '@apogee/world';
import { APO_PAIRS } from './arms';
import type { HeldOutSamples } from './held-out-eval';
import type { QuickstartPreset } from './presets';
import type { ArmResult, Pi0Result } from './protocol';

/** One round of the same-pair RM evaluation. */
export interface SamePairRound {
  round: number;
  /** Pairs scored (gold ties dropped) and gold ties dropped. */
  pairs: number;
  goldTies: number;
  /** Accuracy of every compared RM on the same pairs. */
  accuracy: Record<string, number>;
  /** rjs-apo's RM against RM_Base and against the no-golden control (exact McNemar). */
  mcnemar: Record<string, { aOnly: number; bOnly: number; difference: number; pValue: number }>;
  /** Fraction of the RM_Base → RM_fresh gap that rjs-apo's RM closes. */
  gapClosed: number;
}

/** Everything a seed's analysis adds to its arms' metrics (seed-runs.json `analysis`). */
export interface SeedAnalysis {
  seed: number;
  samePairs: SamePairRound[];
  /** RM_Base on pairs of π₀'s own held-out samples, and on pairs of the RM_Base-driven RJS policy's last-round samples. */
  rmBaseOnPi0: { pairs: number; accuracy: number };
  rmBaseOnRjsFinal: { pairs: number; accuracy: number };
  /** Best-of-n curves on π₀'s pool, per selecting RM (`gold`: the oracle). */
  bestOfN: Array<{ rm: string; n: number; kl: number; gold: number }>;
  /** World validity within the seed: oracle − π₀ gold with a bootstrap CI over held-out prompts; RM_Base's mean score of π₀'s and of RJS's final samples. */
  validity: { oracleMinusPi0: number; oracleMinusPi0Ci95: [number, number]; rmBaseScorePi0: number; rmBaseScoreRjsFinal: number };
  /** The per-seed value of each claim, oriented so that positive supports it. */
  claimValues: Partial<Record<ClaimId, number>>;
}

/** π₀ samples plus the given policies' samples per prompt, deduplicated per prompt (identical texts tie in gold). */
function pool(prompts: readonly PromptRecord[], sources: Array<{ name: string; samples: HeldOutSamples }>): { pooled: PooledSample[]; texts: PromptResponse[] } {
  const pooled: PooledSample[] = [];
  const texts: PromptResponse[] = [];
  prompts.forEach((p, i) => {
    const seen = new Set<string>();
    for (const s of sources) {
      s.samples.responses[i].forEach((response, k) => {
        if (seen.has(response)) return;
        seen.add(response);
        pooled.push({ promptId: p.queryId, gold: s.samples.gold[i][k], source: s.name });
        texts.push({ prompt: p.prompt, response });
      });
    }
  });
  return { pooled, texts };
}

async function accuracyOn(
  prompts: readonly PromptRecord[],
  sources: Array<{ name: string; samples: HeldOutSamples }>,
  rms: Record<string, RewardModel>,
): Promise<{ pairs: number; goldTies: number; accuracy: Record<string, number>; scores: Record<string, ArrayLike<number>>; set: ReturnType<typeof buildSamePairs> }> {
  const { pooled, texts } = pool(prompts, sources);
  const set = buildSamePairs(pooled);
  const scores = await scoreSamples(texts, rms, 64);
  return { pairs: set.pairs.length, goldTies: set.goldTies, accuracy: accuracyTable(set.pairs, scores), scores, set };
}

/**
 * A seed's comparisons on shared data: every RM on the same pooled pairs of held-out samples
 * (π₀'s and every arm's of the round), best-of-n on π₀'s pool, and each claim's per-seed value.
 */
export async function analyseSeed(input: {
  seed: number;
  world: PreferenceWorld;
  prompts: readonly PromptRecord[];
  preset: QuickstartPreset;
  rounds: number;
  pi0: Pi0Result;
  arms: readonly ArmResult[];
}): Promise<SeedAnalysis> {
  const { seed, prompts, pi0, rounds } = input;
  const byArm = new Map(input.arms.map((a) => [a.arm, a]));
  const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ preset: 'tiny', config: input.preset.model }), gptReward()] });
  const factory = run.resolve(TOKENS.RewardFactory);
  const loaded: RewardModel[] = [];
  const load = async (dir: string | undefined): Promise<RewardModel | undefined> => {
    if (!dir) return undefined;
    const rm = await factory.load(dir);
    loaded.push(rm);
    return rm;
  };
  try {
    const rmBase = await load(byArm.get('rjs')?.rmDirs['rm-1']);
    const rmsOfRound = async (round: number): Promise<Record<string, RewardModel>> => {
      const out: Record<string, RewardModel> = {};
      if (rmBase) out.rmBase = rmBase;
      for (const { apo } of APO_PAIRS) {
        const rm = await load(byArm.get(apo)?.rmDirs[`rm-${round}`]);
        if (rm) out[apo] = rm;
      }
      for (const kind of ['control', 'fresh']) {
        const rm = await load(byArm.get('rjs-apo')?.rmDirs[`${kind}-${round}`]);
        if (rm) out[kind] = rm;
      }
      return out;
    };
    const pi0Source = { name: 'pi0', samples: pi0.heldOut };
    const samePairs: SamePairRound[] = [];
    let finalRms: Record<string, RewardModel> = {};
    for (let round = 1; round <= rounds; round++) {
      const rms = await rmsOfRound(round);
      if (Object.keys(rms).length === 0) break;
      const sources = [pi0Source, ...input.arms.filter((a) => a.heldOut[round - 1]).map((a) => ({ name: a.arm, samples: a.heldOut[round - 1] }))];
      const r = await accuracyOn(prompts, sources, rms);
      const mcnemar: SamePairRound['mcnemar'] = {};
      const pick = ({ aOnly, bOnly, difference, pValue }: ReturnType<typeof mcnemarExact>) => ({ aOnly, bOnly, difference, pValue });
      if (r.scores['rjs-apo'] && r.scores.rmBase) mcnemar['rjs-apo:rmBase'] = pick(mcnemarExact(r.set.pairs, r.scores['rjs-apo'], r.scores.rmBase));
      if (r.scores['rjs-apo'] && r.scores.control) mcnemar['rjs-apo:control'] = pick(mcnemarExact(r.set.pairs, r.scores['rjs-apo'], r.scores.control));
      const acc = r.accuracy;
      samePairs.push({
        round,
        pairs: r.pairs,
        goldTies: r.goldTies,
        accuracy: acc,
        mcnemar,
        gapClosed: acc.fresh !== undefined && acc['rjs-apo'] !== undefined && acc.rmBase !== undefined ? gapClosed({ base: acc.rmBase, candidate: acc['rjs-apo'], fresh: acc.fresh }) : NaN,
      });
      finalRms = rms;
    }
    const base: Record<string, RewardModel> = rmBase ? { rmBase } : {};
    const onPi0 = rmBase ? await accuracyOn(prompts, [pi0Source], base) : undefined;
    const rjsFinal = byArm.get('rjs')?.heldOut[rounds - 1];
    const onRjs = rmBase && rjsFinal ? await accuracyOn(prompts, [{ name: 'rjs', samples: rjsFinal }], base) : undefined;

    // Best-of-n on π₀'s pool: each RM picks its favourite of n samples; KL_bon = log n − (n−1)/n.
    const bonTexts = prompts.flatMap((p, i) => pi0.bestOfN.responses[i].map((response) => ({ prompt: p.prompt, response })));
    const bonScores = await scoreSamples(bonTexts, finalRms, 64);
    const perPrompt = pi0.bestOfN.responses[0]?.length ?? 0;
    const bestOfN: SeedAnalysis['bestOfN'] = [];
    for (const [rm, flat] of [['gold', Float32Array.from(pi0.bestOfN.gold.flat())] as const, ...Object.entries(bonScores)]) {
      const curve = bestOfNCurve(prompts.map((_, i) => ({ gold: pi0.bestOfN.gold[i], scores: Array.from(flat).slice(i * perPrompt, (i + 1) * perPrompt) })));
      for (const point of curve) bestOfN.push({ rm, ...point });
    }

    // Per-seed claim values (positive supports the claim; docs/decisions/0064 declares them).
    const finalGold = (arm: string): number | undefined => {
      const m = byArm.get(arm as never)?.metrics;
      return m?.[m.length - 1]?.goldReward;
    };
    const values: Partial<Record<ClaimId, number>> = {};
    const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
    const set = (id: ClaimId, v: number | undefined) => {
      if (v !== undefined && Number.isFinite(v)) values[id] = v;
    };
    set('world.oracleBeatsPi0', diff(finalGold('oracle'), pi0.metrics.goldReward));
    set('world.rmBaseOverOptimises', diff(finalGold('oracle'), finalGold('rjs')));
    for (const { method, apo, baseline } of APO_PAIRS) set(`${method}.apoBeatsBaseline` as ClaimId, diff(finalGold(apo), finalGold(baseline)));
    const last = samePairs[samePairs.length - 1];
    if (last) {
      const apoAcc = APO_PAIRS.map((p) => last.accuracy[p.apo]).filter((v): v is number => v !== undefined);
      if (apoAcc.length > 0 && last.accuracy.rmBase !== undefined) set('rm.apoMoreAccurateOnPolicy', apoAcc.reduce((a, b) => a + b, 0) / apoAcc.length - last.accuracy.rmBase);
      set('rm.apoBeatsNoGoldenControl', diff(last.accuracy['rjs-apo'], last.accuracy.control));
    }
    const humanAcc = (arm: string) => {
      const m = byArm.get(arm as never)?.metrics;
      return m?.[m.length - 1]?.rmAccuracyHuman;
    };
    const apoHuman = APO_PAIRS.map((p) => humanAcc(p.apo)).filter((v): v is number => v !== undefined);
    const baseHuman = humanAcc('rjs');
    if (apoHuman.length > 0 && baseHuman !== undefined) set('rm.apoMoreAccurateOnHeldOutRaters', apoHuman.reduce((a, b) => a + b, 0) / apoHuman.length - baseHuman);
    const promptMeans = (h: HeldOutSamples) => h.gold.map((g) => mean(g));
    const oracleFinal = byArm.get('oracle')?.heldOut[rounds - 1];
    const perPrompt0 = promptMeans(pi0.heldOut);
    const d = oracleFinal ? promptMeans(oracleFinal).map((g, i) => g - perPrompt0[i]) : [];
    const scoreMean = async (h: HeldOutSamples | undefined) => {
      if (!rmBase || !h) return NaN;
      const texts = prompts.flatMap((p, i) => h.responses[i].map((response) => ({ prompt: p.prompt, response })));
      return mean(await rmBase.score(texts, { batchSize: 64 }));
    };
    const validity: SeedAnalysis['validity'] = {
      oracleMinusPi0: d.length > 0 ? mean(d) : NaN,
      oracleMinusPi0Ci95: d.length > 0 ? bootstrapMeanCi(d, { seed }) : [NaN, NaN],
      rmBaseScorePi0: await scoreMean(pi0.heldOut),
      rmBaseScoreRjsFinal: await scoreMean(rjsFinal),
    };
    return {
      seed,
      validity,
      samePairs,
      rmBaseOnPi0: { pairs: onPi0?.pairs ?? 0, accuracy: onPi0?.accuracy.rmBase ?? NaN },
      rmBaseOnRjsFinal: { pairs: onRjs?.pairs ?? 0, accuracy: onRjs?.accuracy.rmBase ?? NaN },
      bestOfN,
      claimValues: values,
    };
  } finally {
    for (const rm of loaded) await rm.dispose();
    await run.dispose();
  }
}
