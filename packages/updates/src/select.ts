import { bestSampleIndex, type PreferencePair, type PromptResponse, type ScoredSampleSet } from '@apogee/core';

/**
 * Rejection sampling (RJS, docs/concepts/apo.md §5): per query, the highest-scored non-empty sample
 * (core's `bestSampleIndex`: first on ties). Queries whose samples are all empty give nothing.
 */
export function bestSamples(sets: readonly ScoredSampleSet[]): PromptResponse[] {
  const out: PromptResponse[] = [];
  for (const set of sets) {
    const b = bestSampleIndex(set);
    if (b >= 0) out.push({ prompt: set.prompt, response: set.samples[b] });
  }
  return out;
}

/**
 * DPO pairs from scored samples. The chosen side is always non-empty; a pair needs a strictly
 * higher score for the chosen side and two different texts.
 */
export function preferencePairs(sets: readonly ScoredSampleSet[], mode: 'best-worst' | 'best-rest' | 'all'): PreferencePair[] {
  const out: PreferencePair[] = [];
  for (const set of sets) {
    const push = (w: number, l: number) => {
      if (set.scores[w] > set.scores[l] && set.samples[w] !== set.samples[l]) {
        out.push({ id: set.queryId, prompt: set.prompt, chosen: set.samples[w], rejected: set.samples[l] });
      }
    };
    if (mode === 'all') {
      for (let w = 0; w < set.samples.length; w++) {
        if (set.samples[w].trim().length === 0) continue;
        for (let l = 0; l < set.samples.length; l++) push(w, l);
      }
      continue;
    }
    const b = bestSampleIndex(set);
    if (b < 0) continue;
    if (mode === 'best-rest') {
      for (let l = 0; l < set.samples.length; l++) if (l !== b) push(b, l);
    } else {
      let worst = -1;
      set.samples.forEach((_, i) => {
        if (i !== b && (worst < 0 || set.scores[i] < set.scores[worst])) worst = i;
      });
      if (worst >= 0) push(b, worst);
    }
  }
  return out;
}
