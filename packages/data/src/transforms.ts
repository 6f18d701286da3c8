import { createHash } from 'node:crypto';
import type { GoldenAnswer, PreferenceItem, PromptRecord, SampleSet, ScoredSampleSet, Tokenizer } from '@apogee/core';
import { ApogeeError, buildApoItems, ERROR_CODES } from '@apogee/core';
import type { ScoreEntry } from './formats';

/** A number in [0, 1) from SHA-256 of `seed` and `text`: the same inputs always land in the same place. */
export function hashUnit(text: string, seed: number | string): number {
  const h = createHash('sha256').update(`${seed}\u0000${text}`).digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

export interface SplitOptions {
  /** Share of distinct prompts that go to the test side, in (0, 1). */
  testFraction: number;
  /** Different seeds give different, equally deterministic splits. Default 0. */
  seed?: number | string;
}

/**
 * Split items by a seeded hash of their prompt: deterministic, independent of order and of the
 * other items, and a prompt never lands on both sides (decision 0043).
 */
export function splitByPrompt<T extends { prompt: string }>(items: readonly T[], options: SplitOptions): { train: T[]; test: T[] } {
  const { testFraction, seed = 0 } = options;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Option "testFraction" must be between 0 and 1, exclusive (got ${testFraction}).`);
  }
  const train: T[] = [];
  const test: T[] = [];
  for (const item of items) (hashUnit(item.prompt, seed) < testFraction ? test : train).push(item);
  return { train, test };
}

/** Key of an item's content: prompt and responses with their scores, response order ignored. */
function itemKey(item: PreferenceItem): string {
  const pairs = item.responses.map((r, i) => JSON.stringify([r, item.scores[i]])).sort();
  return createHash('sha256').update(JSON.stringify([item.prompt, pairs])).digest('hex');
}

/** Drop exact duplicates (same prompt, same responses with the same scores, any order); the first copy stays. */
export function dedupeItems(items: readonly PreferenceItem[]): { items: PreferenceItem[]; duplicates: number } {
  const seen = new Set<string>();
  const out: PreferenceItem[] = [];
  for (const item of items) {
    const k = itemKey(item);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return { items: out, duplicates: items.length - out.length };
}

export interface LengthLimits {
  /** Longest prompt kept. */
  maxPromptLength?: number;
  /** Longest response kept (every response of an item must fit). */
  maxResponseLength?: number;
  /** Longest prompt + response kept (for every response). */
  maxTotalLength?: number;
  /** Count lengths in this tokenizer's tokens; characters otherwise. */
  tokenizer?: Tokenizer;
}

/** Keep items whose lengths fit the limits; the rest are returned apart, so nothing vanishes. */
export function filterByLength(items: readonly PreferenceItem[], limits: LengthLimits): { kept: PreferenceItem[]; dropped: PreferenceItem[] } {
  const len = (s: string) => (limits.tokenizer ? limits.tokenizer.encode(s).length : s.length);
  const kept: PreferenceItem[] = [];
  const dropped: PreferenceItem[] = [];
  for (const item of items) {
    const p = len(item.prompt);
    let ok = limits.maxPromptLength === undefined || p <= limits.maxPromptLength;
    for (const r of item.responses) {
      if (!ok) break;
      const n = limits.maxResponseLength !== undefined || limits.maxTotalLength !== undefined ? len(r) : 0;
      if (limits.maxResponseLength !== undefined && n > limits.maxResponseLength) ok = false;
      if (limits.maxTotalLength !== undefined && p + n > limits.maxTotalLength) ok = false;
    }
    (ok ? kept : dropped).push(item);
  }
  return { kept, dropped };
}

/** Records matched by id, and every id of either side that has no partner. */
export interface JoinResult<L, R> {
  matched: Array<{ id: string; left: L; right: R }>;
  /** Ids on the left with no partner on the right, in order. */
  leftOnly: string[];
  /** Ids on the right with no partner on the left, in order. */
  rightOnly: string[];
  /** Ids that occur more than once on a side (only the first is joined). */
  duplicateIds: string[];
}

/** Join two record lists by id. */
export function joinById<L, R>(left: readonly L[], right: readonly R[], leftId: (l: L) => string, rightId: (r: R) => string): JoinResult<L, R> {
  const duplicateIds: string[] = [];
  const byId = new Map<string, R>();
  for (const r of right) {
    const id = rightId(r);
    if (byId.has(id)) duplicateIds.push(id);
    else byId.set(id, r);
  }
  const seen = new Set<string>();
  const matched: JoinResult<L, R>['matched'] = [];
  const leftOnly: string[] = [];
  for (const l of left) {
    const id = leftId(l);
    if (seen.has(id)) {
      duplicateIds.push(id);
      continue;
    }
    seen.add(id);
    const r = byId.get(id);
    if (r === undefined) leftOnly.push(id);
    else matched.push({ id, left: l, right: r });
  }
  const rightOnly = [...byId.keys()].filter((id) => !seen.has(id));
  return { matched, leftOnly, rightOnly, duplicateIds };
}

/** Golden answers with the policy's samples for the same query (reference: both keyed by `query_id`). */
export function joinGoldenWithSamples<S extends SampleSet>(golden: readonly GoldenAnswer[], samples: readonly S[]): JoinResult<GoldenAnswer, S> {
  return joinById(golden, samples, (g) => g.queryId, (s) => s.queryId);
}

/** Golden answers with the RM queries they answer. */
export function joinGoldenWithQueries(golden: readonly GoldenAnswer[], queries: readonly PromptRecord[]): JoinResult<GoldenAnswer, PromptRecord> {
  return joinById(golden, queries, (g) => g.queryId, (q) => q.queryId);
}

/**
 * APO items `[prompt+golden ≻ prompt+sample_k]`, scores `[1, 0]`, `kind: 'apo'`, one per sample
 * (APO paper §3; reference D_APO; core's `buildApoItems`) for the golden answers and sample sets
 * that share an id, in golden order. Also returns the ids without a partner.
 */
export function apoItems(golden: readonly GoldenAnswer[], samples: readonly SampleSet[]): { items: PreferenceItem[]; unmatched: { golden: string[]; samples: string[] } } {
  const join = joinGoldenWithSamples(golden, samples);
  const items = buildApoItems(join.matched.map((m) => m.right), join.matched.map((m) => m.left));
  return { items, unmatched: { golden: join.leftOnly, samples: join.rightOnly } };
}

/**
 * Attach scores (from a scored-samples file) to sample sets. Every sample needs a score; sets or
 * entries without a partner are reported, never silently dropped.
 */
export function attachScores(
  sets: readonly SampleSet[],
  entries: readonly ScoreEntry[],
): { scored: ScoredSampleSet[]; unscored: Array<{ queryId: string; missing: string[] }>; orphanScores: string[] } {
  const byQuery = new Map<string, Map<string, number>>();
  for (const e of entries) {
    let m = byQuery.get(e.queryId);
    if (!m) byQuery.set(e.queryId, (m = new Map()));
    m.set(e.key, e.score);
  }
  const scored: ScoredSampleSet[] = [];
  const unscored: Array<{ queryId: string; missing: string[] }> = [];
  const used = new Set<string>();
  for (const set of sets) {
    const m = byQuery.get(set.queryId);
    const keys = set.samples.map((_, i) => `sample_${i}`);
    const missing = keys.filter((k) => !m?.has(k));
    keys.forEach((k) => m?.has(k) && used.add(`${set.queryId}:${k}`));
    if (missing.length > 0) unscored.push({ queryId: set.queryId, missing });
    else scored.push({ ...set, scores: keys.map((k) => m!.get(k)!) });
  }
  const orphanScores = entries.map((e) => `${e.queryId}:${e.key}`).filter((k) => !used.has(k));
  return { scored, unscored, orphanScores };
}
