import { ApogeeError, ERROR_CODES } from '@apogee/core';

/**
 * Plain-JS building blocks of the samplers. They work on one row of logits (a `Float32Array`
 * view of length `vocab`) and never allocate tensors.
 */

/**
 * CTRL repetition penalty (Keskar et al. 2019, §4.1), as HF applies it: each *distinct* id in
 * `prompt` ∪ `generated` gets `logit > 0 ? logit / θ : logit · θ`, in place.
 * `seen` is a zeroed scratch array of length ≥ vocab; it is zeroed again on return.
 */
export function applyRepetitionPenalty(
  row: Float32Array,
  ids: ReadonlyArray<ReadonlyArray<number> | undefined>,
  penalty: number,
  seen: Uint8Array,
): void {
  const vocab = row.length;
  const touched: number[] = [];
  for (const list of ids) {
    if (!list) continue;
    for (const id of list) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Repetition penalty: token id ${id} is outside the vocabulary [0, ${vocab}).`, {
          hint: 'Prompt and generated ids must come from the same tokenizer as the logits.',
        });
      }
      if (seen[id]) continue;
      seen[id] = 1;
      touched.push(id);
      const v = row[id];
      row[id] = v > 0 ? v / penalty : v * penalty;
    }
  }
  for (const id of touched) seen[id] = 0;
}

/** Index of the largest logit (the first one on ties). Throws when the row has no finite maximum. */
export function argmax(row: Float32Array): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (v !== v) throw nonFinite('NaN');
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  if (best < 0) throw nonFinite('only -Infinity');
  return best;
}

/** The k-th largest value of `row` (1-based k ≤ row.length). */
export function kthLargest(row: Float32Array, k: number): number {
  if (k <= 64) {
    // A small descending buffer of the k best so far: O(V·k) worst case, O(V) typical.
    const best = new Float64Array(k).fill(-Infinity);
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (!(v > best[k - 1])) continue;
      let j = k - 1;
      while (j > 0 && best[j - 1] < v) {
        best[j] = best[j - 1];
        j--;
      }
      best[j] = v;
    }
    return best[k - 1];
  }
  const sorted = Float32Array.from(row).sort(); // native numeric ascending sort
  return sorted[row.length - k];
}

export function nonFinite(what: string): ApogeeError {
  return new ApogeeError(ERROR_CODES.NON_FINITE, `Sampler: a row of logits holds ${what}; there is no token to pick.`, {
    hint: 'Check the model output (a diverged model or a mask that removes every token).',
  });
}
