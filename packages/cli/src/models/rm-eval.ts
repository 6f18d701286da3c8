import { rescaleItemScores, type PreferenceItem, type RewardModel } from '@apogee/core';
import { calibration, orderedPairs, preferenceAccuracy, type ReliabilityBin } from '@apogee/eval';

/** What `train-rm` and `eval-rm` report (summary.json fields are fixed: other tools read them). */
export interface RmEvaluation {
  /** Preference accuracy over every pair with different labels (ties count ½). */
  accuracy: number;
  /** Calibration over ordered pairs, as docs/concepts/apo.md §7. */
  ece: number;
  ace: number;
  mce: number;
  /** Preference pairs evaluated (pairs of responses with different labels). */
  pairs: number;
  /** Ordered pairs the calibration used (each pair both ways, docs/concepts/apo.md §7). */
  orderedPairs: number;
  /** Items evaluated. */
  items: number;
  bins: ReliabilityBin[];
}

/** Score every response of every item with the RM, then accuracy and ECE/ACE/MCE (@apogee/eval). */
export async function evaluateRewardModel(
  rm: RewardModel,
  items: readonly PreferenceItem[],
  options: { batchSize?: number; bins?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<RmEvaluation> {
  const flat = items.flatMap((it) => it.responses.map((response) => ({ prompt: it.prompt, response })));
  const batchSize = options.batchSize ?? 32;
  const rewards = new Float32Array(flat.length);
  for (let start = 0; start < flat.length; start += batchSize) {
    rewards.set(await rm.score(flat.slice(start, start + batchSize), { batchSize }), start);
    options.onProgress?.(Math.min(start + batchSize, flat.length), flat.length);
  }
  let offset = 0;
  const scored = items.map((it) => {
    const r = rewards.subarray(offset, offset + it.responses.length);
    offset += it.responses.length;
    // Raw labels rescaled to (0, 1) as the reference: a negative score is a label, not padding.
    return { rewards: r, scores: rescaleItemScores(it.scores) };
  });
  const cal = calibration(orderedPairs(scored), options.bins ?? 10);
  return { accuracy: preferenceAccuracy(scored), ece: cal.ece, ace: cal.ace, mce: cal.mce, pairs: cal.pairs / 2, orderedPairs: cal.pairs, items: items.length, bins: cal.bins };
}
