import { ApogeeError, ERROR_CODES, type Rng, type Sampler, type SamplerStep } from '@apogee/core';
import { inject, injectable } from 'tsyringe';
import { applyRepetitionPenalty, argmax, kthLargest, nonFinite } from './logits-processors';
import { resolveSamplerOptions, type SamplerOptions, type SamplerOptionsInput } from './options';
import { SAMPLER_OPTIONS } from './tokens';

/**
 * One configurable sampler in one fused pass per row (not a composition of sampler objects):
 * repetition penalty, temperature, top-k, top-p and min-p applied in
 * Hugging Face's logits-processor order, then one draw per row from `step.rng`.
 *
 * Per row, in plain JS on the `Float32Array` logits (no tensors):
 * 1. repetition penalty (in place on `step.logits`, over prompt ∪ generated ids);
 * 2. greedy (`greedy` or `temperature === 0`): argmax, no random draw;
 * 3. temperature: `z / T`;
 * 4. top-k: keep values ≥ the k-th largest;
 * 5. top-p: keep a token when the probability mass ranked above it is < p;
 * 6. min-p: keep `p ≥ minP · max p`;
 * 7. draw: one `rng.float()` per row, inverse CDF over the survivors (float64 arithmetic).
 *
 * Same seed, same logits → same ids. `-Infinity` logits (masked tokens) are never drawn; a row
 * with NaN or only `-Infinity` throws `APOGEE_NON_FINITE`.
 */
@injectable()
export class FusedSampler implements Sampler {
  readonly name: string;
  readonly options: SamplerOptions;
  private seen = new Uint8Array(0);
  private ids = new Int32Array(0);
  private weights = new Float64Array(0);

  constructor(@inject(SAMPLER_OPTIONS) options: SamplerOptionsInput) {
    this.options = resolveSamplerOptions(options);
    this.name = describeSampler(this.options);
  }

  /** Whether this sampler never draws at random. */
  get isGreedy(): boolean {
    return this.options.greedy || this.options.temperature === 0;
  }

  next(step: SamplerStep): Int32Array {
    const { logits, batch, vocab, rng } = step;
    if (!Number.isInteger(batch) || !Number.isInteger(vocab) || batch < 0 || vocab <= 0 || logits.length !== batch * vocab) {
      throw new ApogeeError(
        ERROR_CODES.INVALID_ARGUMENT,
        `Sampler "${this.name}": logits hold ${logits.length} values but batch × vocab = ${batch} × ${vocab}.`,
        { hint: 'Pass row-major [batch, vocab] logits for the next token only.' },
      );
    }
    this.ensureScratch(vocab);
    const { repetitionPenalty } = this.options;
    const out = new Int32Array(batch);
    for (let r = 0; r < batch; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      if (repetitionPenalty !== 1) applyRepetitionPenalty(row, [step.promptIds[r], step.generated[r]], repetitionPenalty, this.seen);
      out[r] = this.isGreedy ? argmax(row) : this.sampleRow(row, rng);
    }
    return out;
  }

  private sorted = new Float64Array(0);

  private sortScratch(m: number): Float64Array {
    if (this.sorted.length < m) this.sorted = new Float64Array(m);
    return this.sorted.subarray(0, m);
  }

  private ensureScratch(vocab: number): void {
    if (this.seen.length < vocab) {
      this.seen = new Uint8Array(vocab);
      this.ids = new Int32Array(vocab);
      this.weights = new Float64Array(vocab);
    }
  }

  /** Steps 3–7 for one row. */
  private sampleRow(row: Float32Array, rng: Rng): number {
    const { temperature, topK, topP, minP } = this.options;
    const ids = this.ids;
    const w = this.weights;

    // Top-k threshold (order-preserving, so applying it before the temperature changes nothing).
    const threshold = topK > 0 && topK < row.length ? kthLargest(row, topK) : -Infinity;
    // Survivors and their maximum.
    let n = 0;
    let max = -Infinity;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v !== v) throw nonFinite('NaN');
      if (v === -Infinity || v < threshold) continue;
      ids[n++] = i;
      if (v > max) max = v;
    }
    if (n === 0 || max === -Infinity) throw nonFinite('only -Infinity');
    if (max === Infinity) {
      // +Infinity dominates: uniform over the +Infinity entries, as softmax's limit.
      let m = 0;
      for (let c = 0; c < n; c++) if (row[ids[c]] === Infinity) ids[m++] = ids[c];
      return ids[rng.int(m)];
    }
    // Unnormalised softmax weights at temperature T: exp((z − max) / T), the max weighs 1.
    let total = 0;
    for (let c = 0; c < n; c++) {
      const x = Math.exp((row[ids[c]] - max) / temperature);
      w[c] = x;
      total += x;
    }

    if (topP < 1) {
      // Tokens below (1 − p)·total / n can never be in the nucleus (together they weigh less than
      // the 1 − p tail), so only the rest is sorted.
      const floor = ((1 - topP) * total) / n;
      let m = 0;
      for (let c = 0; c < n; c++) {
        if (w[c] >= floor) {
          ids[m] = ids[c];
          w[m] = w[c];
          m++;
        }
      }
      // Walk the weights in descending order (a native typed-array sort) until the mass ranked
      // above the next token reaches p: the last token taken fixes the cut weight `cut`, and
      // `tiesKept` of the tokens weighing exactly `cut` are kept (lowest ids first).
      const sorted = this.sortScratch(m);
      sorted.set(w.subarray(0, m));
      sorted.sort();
      const limit = topP * total;
      let before = 0;
      let cut = Infinity;
      let tiesKept = 0;
      for (let c = m - 1; c >= 0 && before < limit; c--) {
        const x = sorted[c];
        if (x === cut) tiesKept++;
        else {
          cut = x;
          tiesKept = 1;
        }
        before += x;
      }
      let kept = 0;
      total = 0;
      for (let c = 0; c < m; c++) {
        const x = w[c];
        if (x > cut || (x === cut && tiesKept-- > 0)) {
          ids[kept] = ids[c];
          w[kept] = x;
          total += x;
          kept++;
        }
      }
      n = kept;
    }

    if (minP > 0) {
      // The max weight is exp(0) = 1 and it always survives top-k and top-p.
      let m = 0;
      total = 0;
      for (let c = 0; c < n; c++) {
        if (w[c] >= minP) {
          ids[m] = ids[c];
          w[m] = w[c];
          total += w[c];
          m++;
        }
      }
      n = m;
    }

    let u = rng.float() * total;
    for (let c = 0; c < n; c++) {
      u -= w[c];
      if (u < 0) return ids[c];
    }
    return ids[n - 1]; // rounding left u ≥ 0: the last survivor
  }
}

/** `temperature=1.2,top-p=0.9` style name listing the active settings. */
function describeSampler(o: SamplerOptions): string {
  if (o.greedy || o.temperature === 0) return o.repetitionPenalty !== 1 ? `greedy(repetition-penalty=${o.repetitionPenalty})` : 'greedy';
  const parts = [`temperature=${o.temperature}`];
  if (o.topK > 0) parts.push(`top-k=${o.topK}`);
  if (o.topP < 1) parts.push(`top-p=${o.topP}`);
  if (o.minP > 0) parts.push(`min-p=${o.minP}`);
  if (o.repetitionPenalty !== 1) parts.push(`repetition-penalty=${o.repetitionPenalty}`);
  return `sampler(${parts.join(',')})`;
}

/** @deprecated The old name of {@link FusedSampler} (it is one fused pass, not a composition). */
export const ComposableSampler = FusedSampler;
/** @deprecated The old name of {@link FusedSampler}. */
export type ComposableSampler = FusedSampler;
