import { ApogeeError, ERROR_CODES } from '../errors';
import type { GoldenAnswer, PreferenceItem, PromptResponse, SampleSet, ScoredSampleSet } from './records';

/**
 * The rules on records that more than one package applies (the data tools, the game, the policy
 * updates), in one place beside the record contracts, so a change (tie-breaking, a field name)
 * reaches every user at once.
 */

/** The APO reference's separator between prompt and response in `text` records. */
export const REFERENCE_SEP = '<sep>';

/**
 * The rejection-sampling choice (APO paper §5, RJS): the index of the highest-scored non-empty
 * sample, the first on ties; −1 when every sample is empty.
 */
export function bestSampleIndex(set: ScoredSampleSet): number {
  let best = -1;
  for (let i = 0; i < set.samples.length; i++) {
    if (set.samples[i].trim() === '') continue;
    if (best < 0 || set.scores[i] > set.scores[best]) best = i;
  }
  return best;
}

/**
 * D_APO (APO paper §3; docs/concepts/apo.md §3–§4): one item `[golden ≻ sample_k]` per sample, label
 * scores `[1, 0]`, kind `apo`, in sample-set order. Sets without a golden answer give nothing, and
 * neither does a sample equal to its golden answer (the item would claim a response is better than
 * itself; the reference keeps it, where its two rewards are equal and it only dilutes the batch).
 * {@link countGoldenMatches} counts what was dropped.
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

/** Every sample as a prompt+response, in set order then sample order (one scoring pass). */
export function flattenSamples(sets: readonly SampleSet[]): PromptResponse[] {
  return sets.flatMap((s) => s.samples.map((response) => ({ prompt: s.prompt, response })));
}

/** Put flat scores (in {@link flattenSamples} order) back on their sample sets. */
export function attachFlatScores(sets: readonly SampleSet[], scores: ArrayLike<number>): ScoredSampleSet[] {
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

/** The reference's samples record: `{"query_id", "query", "sample_0", …, "sample_{n-1}"}`. */
export function sampleRecord(set: SampleSet): Record<string, string> {
  const record: Record<string, string> = { query_id: set.queryId, query: set.prompt };
  set.samples.forEach((text, k) => (record[`sample_${k}`] = text));
  return record;
}

/** The reference's score entries, one per sample: `{"<query_id>:sample_<k>": score}`. */
export function scoreEntries(sets: readonly ScoredSampleSet[]): Array<Record<string, number>> {
  return sets.flatMap((s) => s.scores.map((score, k) => ({ [`${s.queryId}:sample_${k}`]: score })));
}

/**
 * The reference's `text-scores` record: `{"text": ["<prompt><sep><response>", …], "scores", "query_id"?, "type"?}`,
 * `type: "apo"` on golden ≻ sample items (`sep` '' joins a dialogue as HH does).
 */
export function textScoresRecord(item: PreferenceItem, sep: string = REFERENCE_SEP): Record<string, unknown> {
  const record: Record<string, unknown> = { text: item.responses.map((r) => item.prompt + sep + r), scores: item.scores };
  if (item.id !== undefined) record.query_id = item.id;
  if (item.kind === 'apo') record.type = 'apo';
  return record;
}
