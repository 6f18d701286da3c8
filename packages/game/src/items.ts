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
// D_APO items, flattening and flat scores are record rules in @apogee/core (buildApoItems,
// flattenSamples, attachFlatScores), shared with @apogee/data.

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
