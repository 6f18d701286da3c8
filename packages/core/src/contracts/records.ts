/**
 * Data records shared by every package. Readers in `@apogee/data` produce them, the game
 * consumes them, writers turn them back into the reference tools' formats.
 */

/** Which side of the RM loss an item feeds (APO paper §3; reference field `"type"`). */
export type ItemKind = 'human' | 'apo';

/**
 * One prompt with k ≥ 2 responses and label scores (higher is better; only the order matters,
 * ties allowed). The APO reference's `{"text": [...], "scores": [...]}` record.
 */
export interface PreferenceItem {
  /** Query id, when the source has one (`query_id`). */
  id?: string;
  /** The dialogue up to and including the last `\n\nAssistant:`. */
  prompt: string;
  /** Candidate responses (what follows the prompt). */
  responses: string[];
  /** One score per response; higher = preferred. */
  scores: number[];
  /** `human` for annotated pairs, `apo` for golden-vs-sample items. Default `human`. */
  kind?: ItemKind;
}

/** A two-response preference, the most common special case. */
export interface PreferencePair {
  id?: string;
  prompt: string;
  chosen: string;
  rejected: string;
}

/** A golden (high-quality) response for one RM query: the role GPT-4 answers play in the paper. */
export interface GoldenAnswer {
  queryId: string;
  /** The prompt, when known (the reference format only has the id). */
  prompt?: string;
  golden: string;
}

/** A prompt for the policy to answer. */
export interface PromptRecord {
  queryId: string;
  prompt: string;
}

/** Policy samples for one query (reference: `{"query_id", "query", "sample_0".."sample_k"}`). */
export interface SampleSet {
  queryId: string;
  prompt: string;
  samples: string[];
}

/** Samples with one RM score per sample (reference: `{"<query_id>:<sample_key>": score}`). */
export interface ScoredSampleSet extends SampleSet {
  scores: number[];
}

/** A prompt and one response: the unit models score and compute log-probs of. */
export interface PromptResponse {
  prompt: string;
  response: string;
}

/**
 * An item's raw label scores rescaled to (0, 1) as the APO reference's data pipeline does before it
 * pads items with −1 (`reward_datasets.prepare_data_item`): `(s − (min − 1e-5)) / (max − min + 2e-5)`.
 * Order-preserving, so only the order of the raw scores matters, and any raw value (negative ones
 * included) stays a valid label: a negative score is never mistaken for padding.
 */
export function rescaleItemScores(raw: readonly number[]): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of raw) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  const low = lo - 1e-5;
  const span = hi + 1e-5 - low;
  return raw.map((s) => (s - low) / span);
}
