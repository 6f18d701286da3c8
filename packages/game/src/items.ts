import {
  ApogeeError,
  cutAtStop,
  ERROR_CODES,
  rescaleItemScores,
  type GoldenAnswer,
  type PreferenceItem,
  type PromptRecord,
  type PromptResponse,
  type SampleSet,
  type ScoredSampleSet,
} from '@apogee/core';

/**
 * Golden answers with their prompts, cut at the stop strings like the samples they are compared
 * with. A golden answer without a prompt takes it from the RM query with the same id.
 */
export function prepareGolden(golden: readonly GoldenAnswer[], rmQueries: readonly PromptRecord[], stop: readonly string[]): GoldenAnswer[] {
  const prompts = new Map(rmQueries.map((q) => [q.queryId, q.prompt]));
  return golden.map((g) => {
    const prompt = g.prompt ?? prompts.get(g.queryId);
    if (prompt === undefined) {
      throw new ApogeeError(ERROR_CODES.DATA_INVALID, `Golden answer "${g.queryId}" has no prompt and no RM query with that id.`, {
        hint: 'Give every golden answer a prompt, or add an RM query with the same query_id.',
      });
    }
    return { queryId: g.queryId, prompt, golden: cutAtStop(g.golden, stop).text };
  });
}

/**
 * D_APO (docs/concepts/apo.md §3–§4): one item `[golden ≻ sample_k]` per sample, label scores `[1, 0]`,
 * kind `apo`. Queries without a golden answer contribute nothing, and neither does a sample equal
 * to its golden answer (the item would claim a response is better than itself; the reference
 * keeps it, where its two rewards are equal and it only dilutes the batch). {@link countGoldenMatches}
 * counts what was dropped.
 */
export function buildApoItems(samples: readonly SampleSet[], golden: readonly GoldenAnswer[]): PreferenceItem[] {
  const byId = new Map(golden.map((g) => [g.queryId, g]));
  const items: PreferenceItem[] = [];
  for (const set of samples) {
    const g = byId.get(set.queryId);
    if (!g) continue;
    for (const sample of set.samples) {
      if (sample === g.golden) continue;
      items.push({ id: set.queryId, prompt: set.prompt, responses: [g.golden, sample], scores: [1, 0], kind: 'apo' });
    }
  }
  return items;
}

/** Samples equal to their query's golden answer: the APO items {@link buildApoItems} drops. */
export function countGoldenMatches(samples: readonly SampleSet[], golden: readonly GoldenAnswer[]): number {
  const byId = new Map(golden.map((g) => [g.queryId, g.golden]));
  return samples.reduce((n, set) => n + set.samples.filter((s) => byId.get(set.queryId) === s).length, 0);
}

/**
 * A batch of items of varying size laid out for a reward loss: every response flattened (one RM
 * forward), and for each `[item, slot]` of the `[items, k]` matrix the index of its flat reward, or
 * `flat.length` for a padded slot (gathered from an appended 0 and masked by score −1).
 */
export interface RewardBatchLayout {
  flat: PromptResponse[];
  /** Row-major `[items·k]` gather indices into `[...rewards, 0]`. */
  gather: Int32Array;
  k: number;
  /** Label scores rescaled per item to (0, 1) (as the APO reference), then padded with −1. */
  scores: number[][];
  kinds: Array<'human' | 'apo'>;
}

export function layoutRewardBatch(items: readonly PreferenceItem[]): RewardBatchLayout {
  const k = Math.max(...items.map((it) => it.responses.length));
  const flat: PromptResponse[] = [];
  const slots: number[] = [];
  const scores: number[][] = [];
  for (const item of items) {
    for (let j = 0; j < k; j++) {
      if (j < item.responses.length) {
        slots.push(flat.length);
        flat.push({ prompt: item.prompt, response: item.responses[j] });
      } else {
        slots.push(-1);
      }
    }
    // Rescale first, pad after: a negative raw score is a label, not padding (docs/concepts/apo.md §3).
    scores.push([...rescaleItemScores(item.scores), ...new Array<number>(k - item.scores.length).fill(-1)]);
  }
  const gather = Int32Array.from(slots, (s) => (s < 0 ? flat.length : s));
  return { flat, gather, k, scores, kinds: items.map((it) => it.kind ?? 'human') };
}

/** Every sample as a prompt+response, in set order then sample order. */
export function flattenSamples(sets: readonly SampleSet[]): PromptResponse[] {
  return sets.flatMap((s) => s.samples.map((response) => ({ prompt: s.prompt, response })));
}

/** Attach flat scores (in {@link flattenSamples} order) to their sample sets. */
export function attachScores(sets: readonly SampleSet[], scores: ArrayLike<number>): ScoredSampleSet[] {
  let at = 0;
  const out = sets.map((s) => {
    const own = Array.from({ length: s.samples.length }, (_, i) => scores[at + i]);
    at += s.samples.length;
    return { ...s, samples: [...s.samples], scores: own };
  });
  if (at !== scores.length) {
    throw new ApogeeError(ERROR_CODES.INTERNAL, `Got ${scores.length} scores for ${at} samples.`);
  }
  return out;
}

/** Summary numbers of a sample phase: mean length in characters and the share of empty samples. */
export function sampleMetrics(prefix: string, sets: readonly SampleSet[]): Record<string, number> {
  const all = sets.flatMap((s) => s.samples);
  if (all.length === 0) return { [`${prefix}/samples`]: 0 };
  const chars = all.reduce((acc, s) => acc + s.length, 0);
  return {
    [`${prefix}/samples`]: all.length,
    [`${prefix}/mean_chars`]: chars / all.length,
    [`${prefix}/empty_frac`]: all.filter((s) => s.length === 0).length / all.length,
  };
}

/** Mean and population standard deviation of RM scores. */
export function scoreMetrics(sets: readonly ScoredSampleSet[]): Record<string, number> {
  const all = sets.flatMap((s) => s.scores);
  if (all.length === 0) return { 'score/count': 0 };
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  const variance = all.reduce((a, b) => a + (b - mean) * (b - mean), 0) / all.length;
  return { 'score/count': all.length, 'score/mean': mean, 'score/std': Math.sqrt(variance) };
}
