import * as tf from '@tensorflow/tfjs-core';
import type { ItemKind, LossOutput } from '@apogee/core';
import { expectShape, invalidLossInput, negLogSigmoid } from './numerics';

/** The form of a Bradley–Terry pair term: `ranking`, log-sigmoid; `diff`, the raw (WGAN-like) reward difference (the APO reference's `loss_type`). */
export type RankingLossType = 'ranking' | 'diff';
/** @deprecated The old name of {@link RankingLossType}. */
export type RankingVariant = RankingLossType;

/**
 * Min–max normalise one item's label scores to [0, 1] (APO reference data pipeline): valid scores
 * are those ≥ 0; padding (negative, reference −1) is left as is. All-equal valid scores map to 1.
 * Order-preserving, so the loss is unchanged by it; exported for data readers.
 */
export function normalizeItemScores(scores: readonly number[]): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scores) if (s >= 0) { lo = Math.min(lo, s); hi = Math.max(hi, s); }
  return scores.map((s) => (s < 0 ? s : hi > lo ? (s - lo) / (hi - lo) : 1));
}

export interface BradleyTerryOptions {
  /** The pair term of every item (default `ranking`), unless `itemLossTypes` gives one per item. */
  lossType?: RankingLossType;
  /** @deprecated The old name of `lossType`. */
  variant?: RankingLossType;
  /**
   * One pair term per item, overriding `lossType`: the APO reference computes the human (KL) term
   * with the ranking loss always and only the APO term with `apo_loss_type` (`apoRewardLoss`).
   */
  itemLossTypes?: readonly RankingLossType[];
  /** @deprecated The old name of `itemLossTypes`. */
  itemVariants?: readonly RankingLossType[];
  /** Weight of each item's pairs (default 1 for every item). */
  coefficients?: readonly number[];
  /** Per-item kinds: metrics are also reported per kind (`loss/human`, `accuracy/apo`, …). */
  kinds?: readonly ItemKind[];
  /** Reward centring: adds `coeff · mean(z²)` over valid responses. Default 0. */
  centeringCoeff?: number;
  /** Loss name used in error messages. */
  lossName?: string;
}

/**
 * The APO reference's multi-response Bradley–Terry loss (`docs/concepts/apo.md` §3):
 *
 * ```
 * pairs  = all ordered (i, j) in an item with s_i ≥ 0, s_j ≥ 0, s_i ≠ s_j
 * term   = log σ((z_j − z_i) · sign(s_j − s_i))    (ranking)  |  (z_j − z_i) · sign(s_j − s_i)   (diff)
 * L      = − Σ_items c_item Σ_pairs term / (number of valid ordered pairs in the batch)
 * ```
 *
 * Both orders of each unordered pair are counted in numerator and denominator, so one 2-response
 * item gives `−log σ(z_good − z_bad)`. A batch without valid pairs gives 0 (as the reference,
 * which divides only when the count is positive). Computed densely as `[items, k, k]` masks.
 *
 * Metrics: `accuracy` (fraction of valid pairs ordered correctly, ties count wrong), `rewardMean`
 * (over valid responses), `pairs` (valid ordered pairs), and per kind `loss/<kind>` (its share of
 * the loss; the shares sum to the ranking part) and `accuracy/<kind>` when `kinds` is given.
 */
export function bradleyTerryLoss(rewards: tf.Tensor2D, scores: readonly (readonly number[])[], options: BradleyTerryOptions = {}): LossOutput {
  const name = options.lossName ?? 'ranking-loss';
  const lossType = options.lossType ?? options.variant ?? 'ranking';
  const itemLossTypes = options.itemLossTypes ?? options.itemVariants;
  const itemField = options.itemLossTypes ? 'itemLossTypes' : 'itemVariants';
  expectShape(name, 'rewards', rewards, [null, null]);
  const [n, k] = rewards.shape;
  if (scores.length !== n) throw invalidLossInput(name, 'scores', `has ${scores.length} items but rewards has ${n} rows.`);
  const coeff = options.coefficients;
  if (coeff && coeff.length !== n) throw invalidLossInput(name, 'coefficients', `has ${coeff.length} entries for ${n} items.`);
  if (options.kinds && options.kinds.length !== n) throw invalidLossInput(name, 'kinds', `has ${options.kinds.length} entries for ${n} items.`);
  if (itemLossTypes && itemLossTypes.length !== n) throw invalidLossInput(name, itemField, `has ${itemLossTypes.length} entries for ${n} items.`);

  const sign = new Float32Array(n * k * k);
  const weight = new Float32Array(n * k * k);
  const pairMask = new Float32Array(n * k * k);
  const valid = new Float32Array(n * k);
  // 1 where a pair takes the raw difference (`diff`), 0 where it takes −log σ (`ranking`).
  const diffMask = new Float32Array(n * k * k);
  let pairs = 0;
  scores.forEach((row, item) => {
    if (row.length !== k) throw invalidLossInput(name, `scores[${item}]`, `has ${row.length} scores; pad every item with −1 to k = ${k}.`);
    row.forEach((s, i) => {
      if (typeof s !== 'number' || Number.isNaN(s)) throw invalidLossInput(name, `scores[${item}][${i}]`, `is ${String(s)}, not a number.`);
    });
    const s = normalizeItemScores(row);
    const c = coeff ? coeff[item] : 1;
    const itemLossType = itemLossTypes ? itemLossTypes[item] : lossType;
    if (itemLossType !== 'ranking' && itemLossType !== 'diff') throw invalidLossInput(name, itemLossTypes ? `${itemField}[${item}]` : 'lossType', `is "${String(itemLossType)}"; allowed: "ranking", "diff".`);
    for (let i = 0; i < k; i++) {
      if (s[i] >= 0) valid[item * k + i] = 1;
      for (let j = 0; j < k; j++) {
        if (!(s[i] >= 0 && s[j] >= 0 && s[i] !== s[j])) continue;
        const at = (item * k + i) * k + j;
        sign[at] = Math.sign(s[j] - s[i]);
        weight[at] = c;
        pairMask[at] = 1;
        if (itemLossType === 'diff') diffMask[at] = 1;
        pairs++;
      }
    }
  });

  return tf.tidy(() => {
    const validT = tf.tensor2d(valid, [n, k]);
    // Padded slots are zeroed so that a NaN or huge value there cannot leak through 0 · x.
    const z = tf.where(tf.cast(validT, 'bool'), rewards, tf.zerosLike(rewards)) as tf.Tensor2D;
    // diff[n, i, j] = z_j − z_i
    const diff = tf.sub(tf.expandDims(z, 1), tf.expandDims(z, 2));
    const x = tf.mul(diff, tf.tensor3d(sign, [n, k, k]));
    const anyDiff = diffMask.some((v) => v === 1);
    const anyRanking = !anyDiff || diffMask.some((v, i) => v === 0 && pairMask[i] === 1);
    let perPair: tf.Tensor;
    if (!anyDiff) perPair = negLogSigmoid(x);
    else if (!anyRanking) perPair = tf.neg(x);
    else {
      const D = tf.tensor3d(diffMask, [n, k, k]);
      perPair = tf.add(tf.mul(tf.neg(x), D), tf.mul(negLogSigmoid(x), tf.sub(1, D)));
    }
    const denom = Math.max(pairs, 1);
    const W = tf.tensor3d(weight, [n, k, k]);
    const M = tf.tensor3d(pairMask, [n, k, k]);
    const weighted = tf.mul(perPair, W);
    let loss = tf.div(tf.sum(weighted), denom) as tf.Scalar;
    const correct = tf.mul(tf.cast(tf.greater(x, 0), 'float32'), M);
    const validCount = Math.max(valid.reduce((a, b) => a + b, 0), 1);
    const metrics: Record<string, tf.Scalar> = {
      accuracy: tf.div(tf.sum(correct), denom) as tf.Scalar,
      rewardMean: tf.div(tf.sum(z), validCount) as tf.Scalar,
      pairs: tf.scalar(pairs),
    };
    const centering = options.centeringCoeff ?? 0;
    if (centering > 0) {
      const meanSq = tf.div(tf.sum(tf.square(z)), validCount) as tf.Scalar;
      metrics.centering = meanSq;
      loss = tf.add(loss, tf.mul(meanSq, centering)) as tf.Scalar;
    }
    if (options.kinds) {
      const kinds = options.kinds;
      for (const kind of [...new Set(kinds)]) {
        const itemMask = new Float32Array(n * k * k);
        let kindPairs = 0;
        kinds.forEach((kd, item) => {
          if (kd !== kind) return;
          for (let a = item * k * k; a < (item + 1) * k * k; a++) {
            itemMask[a] = pairMask[a];
            kindPairs += pairMask[a];
          }
        });
        if (kindPairs === 0) continue;
        const m = tf.tensor3d(itemMask, [n, k, k]);
        metrics[`loss/${kind}`] = tf.div(tf.sum(tf.mul(weighted, m)), denom) as tf.Scalar;
        metrics[`accuracy/${kind}`] = tf.div(tf.sum(tf.mul(correct, m)), kindPairs) as tf.Scalar;
      }
    }
    return { loss, metrics };
  });
}
