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

/**
 * One piece of a seed's analysis: `texts` scored by the RM saved in `rmDir`. `slices`: 64 rows at a
 * time in the given order (`scoreSamples`); `whole`: one `RewardModel.score` call over all of them
 * (which sorts by length before batching). The two batch differently, so each request keeps the
 * form the analysis has always used: the last bits of the scores depend on it.
 */
export interface ScoreRequest {
  rmDir: string;
  texts: PromptResponse[];
  batching: 'slices' | 'whole';
}

/** Runs score requests (in this process, or as jobs on the executor's workers); results are the same either way. */
export type Scorer = (request: ScoreRequest) => Promise<Float32Array>;

/** Rows per forward pass of the analysis's scoring. */
const SCORE_BATCH = 64;

/** An RM saved by a unit, loaded with the quickstart's model shape. */
export async function loadSavedRm(model: QuickstartPreset['model'], dir: string): Promise<{ rm: RewardModel; dispose: () => Promise<void> }> {
  const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ preset: 'tiny', config: model }), gptReward()] });
  try {
    const rm = await run.resolve(TOKENS.RewardFactory).load(dir);
    return {
      rm,
      dispose: async () => {
        await rm.dispose();
        await run.dispose();
      },
    };
  } catch (e) {
    await run.dispose();
    throw e;
  }
}

/** Score one request with a loaded RM. */
export async function scoreRequest(rm: RewardModel, request: Pick<ScoreRequest, 'texts' | 'batching'>): Promise<Float32Array> {
  if (request.batching === 'whole') return rm.score(request.texts, { batchSize: SCORE_BATCH });
  return (await scoreSamples(request.texts, { rm }, SCORE_BATCH)).rm;
}

/** Every named RM's scores of the same texts, in the names' order (which is the order of the summary's columns). */
async function scoreAll(scorer: Scorer, texts: PromptResponse[], dirs: Record<string, string>): Promise<Record<string, Float32Array>> {
  const names = Object.keys(dirs);
  const scores = await Promise.all(names.map((n) => scorer({ rmDir: dirs[n], texts, batching: 'slices' })));
  return Object.fromEntries(names.map((n, i) => [n, scores[i]]));
}

/** Pairs of the pooled samples and every RM's accuracy on them, once the scores are in. */
function accuracyOn(
  prompts: readonly PromptRecord[],
  sources: Array<{ name: string; samples: HeldOutSamples }>,
  dirs: Record<string, string>,
  scorer: Scorer,
): Promise<{ pairs: number; goldTies: number; accuracy: Record<string, number>; scores: Record<string, ArrayLike<number>>; set: ReturnType<typeof buildSamePairs> }> {
  const { pooled, texts } = pool(prompts, sources);
  const set = buildSamePairs(pooled);
  return scoreAll(scorer, texts, dirs).then((scores) => ({ pairs: set.pairs.length, goldTies: set.goldTies, accuracy: accuracyTable(set.pairs, scores), scores, set }));
}

/**
 * A seed's comparisons on shared data: every RM on the same pooled pairs of held-out samples
 * (π₀'s and every arm's of the round), best-of-n on π₀'s pool, and each claim's per-seed value.
 * Every scoring request is handed to `scorer` before any is awaited, so an executor runs them side
 * by side; the rest is arithmetic on their results, in a fixed order.
 */
export async function analyseSeed(
  input: {
    seed: number;
    world: PreferenceWorld;
    prompts: readonly PromptRecord[];
    preset: QuickstartPreset;
    rounds: number;
    pi0: Pi0Result;
    /** The seed's arms, their comparison RMs (`control-<round>`, `fresh-<round>`) among their `rmDirs`. */
    arms: readonly ArmResult[];
  },
  scorer: Scorer,
): Promise<SeedAnalysis> {
  const { seed, prompts, pi0, rounds } = input;
  const byArm = new Map(input.arms.map((a) => [a.arm, a]));
  const rmBaseDir = byArm.get('rjs')?.rmDirs['rm-1'];
  const dirsOfRound = (round: number): Record<string, string> => {
    const out: Record<string, string> = {};
    if (rmBaseDir) out.rmBase = rmBaseDir;
    for (const { apo } of APO_PAIRS) {
      const d = byArm.get(apo)?.rmDirs[`rm-${round}`];
      if (d) out[apo] = d;
    }
    for (const kind of ['control', 'fresh']) {
      const d = byArm.get('rjs-apo')?.rmDirs[`${kind}-${round}`];
      if (d) out[kind] = d;
    }
    return out;
  };
  const pi0Source = { name: 'pi0', samples: pi0.heldOut };
  const base: Record<string, string> = rmBaseDir ? { rmBase: rmBaseDir } : {};
  const rjsFinal = byArm.get('rjs')?.heldOut[rounds - 1];

  // Every request first (same-pair pools per round, RM_Base on π₀ and on RJS, best-of-n, mean scores)…
  const roundsScored: Array<{ round: number; result: ReturnType<typeof accuracyOn> }> = [];
  let finalDirs: Record<string, string> = {};
  for (let round = 1; round <= rounds; round++) {
    const dirs = dirsOfRound(round);
    if (Object.keys(dirs).length === 0) break;
    const sources = [pi0Source, ...input.arms.filter((a) => a.heldOut[round - 1]).map((a) => ({ name: a.arm, samples: a.heldOut[round - 1] }))];
    roundsScored.push({ round, result: accuracyOn(prompts, sources, dirs, scorer) });
    finalDirs = dirs;
  }
  const onPi0P = rmBaseDir ? accuracyOn(prompts, [pi0Source], base, scorer) : undefined;
  const onRjsP = rmBaseDir && rjsFinal ? accuracyOn(prompts, [{ name: 'rjs', samples: rjsFinal }], base, scorer) : undefined;
  // Best-of-n on π₀'s pool: each RM picks its favourite of n samples; KL_bon = log n − (n−1)/n.
  const bonTexts = prompts.flatMap((p, i) => pi0.bestOfN.responses[i].map((response) => ({ prompt: p.prompt, response })));
  const bonScoresP = scoreAll(scorer, bonTexts, finalDirs);
  const scoreMean = (h: HeldOutSamples | undefined): Promise<number> => {
    if (!rmBaseDir || !h) return Promise.resolve(NaN);
    const texts = prompts.flatMap((p, i) => h.responses[i].map((response) => ({ prompt: p.prompt, response })));
    return scorer({ rmDir: rmBaseDir, texts, batching: 'whole' }).then((s) => mean(s));
  };
  const meansP = Promise.all([scoreMean(pi0.heldOut), scoreMean(rjsFinal)]);
  // …then their results, in a fixed order.
  const [scoredRounds, onPi0, onRjs, bonScores, [rmBaseScorePi0, rmBaseScoreRjsFinal]] = await Promise.all([
    Promise.all(roundsScored.map((r) => r.result)),
    onPi0P,
    onRjsP,
    bonScoresP,
    meansP,
  ]);

  const samePairs: SamePairRound[] = [];
  roundsScored.forEach(({ round }, k) => {
    const r = scoredRounds[k];
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
  });

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
  const validity: SeedAnalysis['validity'] = {
    oracleMinusPi0: d.length > 0 ? mean(d) : NaN,
    oracleMinusPi0Ci95: d.length > 0 ? bootstrapMeanCi(d, { seed }) : [NaN, NaN],
    rmBaseScorePi0,
    rmBaseScoreRjsFinal,
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
}
