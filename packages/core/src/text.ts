/**
 * Text helpers shared by the policy (generation) and the data readers.
 *
 * The APO reference cuts every response, golden ones included, at the first `"\nHuman"` and
 * drops the stop string and everything after it (`docs/concepts/apo.md` §4 step 2).
 */

/** The stop sequences the APO reference uses for Anthropic-HH style dialogues. */
export const APO_STOP_SEQUENCES: readonly string[] = Object.freeze(['\nHuman']);

/** Where the earliest stop sequence starts in `text`, or `undefined` when none occurs. */
export function findStop(text: string, stop: readonly string[], fromIndex = 0): { index: number; stop: string } | undefined {
  let best: { index: number; stop: string } | undefined;
  for (const s of stop) {
    if (s.length === 0) continue;
    const index = text.indexOf(s, fromIndex);
    if (index >= 0 && (best === undefined || index < best.index || (index === best.index && s.length > best.stop.length))) {
      best = { index, stop: s };
    }
  }
  return best;
}

/**
 * Cut `text` at the first occurrence of any stop sequence; the stop sequence and everything after
 * it are removed. `stopped` says whether a stop sequence was found.
 *
 * ```ts
 * cutAtStop('Sure.\nHuman: more?', ['\nHuman']); // { text: 'Sure.', stopped: true }
 * ```
 */
export function cutAtStop(text: string, stop: readonly string[] = APO_STOP_SEQUENCES): { text: string; stopped: boolean } {
  const hit = findStop(text, stop);
  return hit ? { text: text.slice(0, hit.index), stopped: true } : { text, stopped: false };
}
