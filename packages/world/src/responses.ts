import type { Rng } from '@apogee/core';
import type { TaskInstance } from './tasks';

/** Openers that add length but no content (the "padding" human raters tend to reward). */
export const FILLER_PREFIXES = ['Sure! ', 'Of course! ', 'Great question! ', 'Happy to help! ', 'Let me think. '] as const;
/** Closers that add length but no content. */
export const FILLER_SUFFIXES = [' Hope this helps!', ' Glad to help!', ' Anything else?', ' Have a nice day!'] as const;
/** Sentence frames around an answer; a framed answer is still concise (the gold reward allows it). */
export const ANSWER_FRAMES = ['The answer is ', 'It is '] as const;

/**
 * Every word the fillers and frames use, lower-cased: a response whose words are the answer plus
 * only these states exactly one answer.
 */
export const FILLER_VOCABULARY: ReadonlySet<string> = new Set(
  [...FILLER_PREFIXES, ...FILLER_SUFFIXES, ...ANSWER_FRAMES]
    .join(' ')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0),
);

/**
 * Kinds of response in the world's behaviour distribution (what the SFT demonstrations and the
 * default annotation pool are drawn from).
 * - `concise`: ` Tuesday.` — correct, shortest.
 * - `framed`: ` The answer is Tuesday.` — correct, a natural sentence.
 * - `padded`: correct, wrapped in filler (` Sure! It is Tuesday. Hope this helps!`).
 * - `wrong`: a plausible wrong answer, concise or framed.
 * - `wrong-padded`: a wrong answer wrapped in filler.
 * - `hedge`: the right answer and a wrong one (` Tuesday or Monday.`).
 */
export const RESPONSE_STYLES = ['concise', 'framed', 'padded', 'wrong', 'wrong-padded', 'hedge'] as const;
export type ResponseStyle = (typeof RESPONSE_STYLES)[number];

/** Default mixture of styles: about half the demonstrations are padded, a third are wrong. */
export const DEFAULT_STYLE_WEIGHTS: Readonly<Record<ResponseStyle, number>> = {
  concise: 0.2,
  framed: 0.15,
  padded: 0.25,
  wrong: 0.15,
  'wrong-padded': 0.15,
  hedge: 0.1,
};

/** Longest response the world writes, in UTF-8 bytes (keeps `maxNewTokens` ≈ 48 enough). */
export const MAX_RESPONSE_BYTES = 44;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The golden response: concise and correct (` 7.`), the role GPT-4 answers play in the paper. */
export function goldenResponse(instance: TaskInstance): string {
  return ` ${instance.answer}.`;
}

function framed(answer: string, rng: Rng): string {
  return `${rng.pick(ANSWER_FRAMES)}${answer}.`;
}

/** Wrap a core statement in filler, dropping parts until it fits in {@link MAX_RESPONSE_BYTES}. */
function pad(answer: string, rng: Rng): string {
  const useFrame = rng.float() < 0.5;
  const shape = rng.int(3); // 0: prefix only, 1: suffix only, 2: both
  const prefix = shape !== 1 ? rng.pick(FILLER_PREFIXES) : '';
  const suffix = shape !== 0 ? rng.pick(FILLER_SUFFIXES) : '';
  const candidates = [
    ` ${prefix}${useFrame ? framed(answer, rng) : `${answer}.`}${suffix}`,
    ` ${prefix}${answer}.${suffix}`,
    ` ${prefix || FILLER_PREFIXES[0]}${answer}.`,
  ];
  for (const c of candidates) if (bytes(c) <= MAX_RESPONSE_BYTES) return c;
  return ` ${answer}.`;
}

/** One response of the given style to `instance`. Uses `rng` only. */
export function writeResponse(instance: TaskInstance, style: ResponseStyle, rng: Rng): string {
  const wrong = (): string => rng.pick(instance.distractors);
  switch (style) {
    case 'concise':
      return ` ${instance.answer}.`;
    case 'framed':
      return ` ${framed(instance.answer, rng)}`;
    case 'padded':
      return pad(instance.answer, rng);
    case 'wrong':
      return rng.float() < 0.5 ? ` ${wrong()}.` : ` ${framed(wrong(), rng)}`;
    case 'wrong-padded':
      return pad(wrong(), rng);
    case 'hedge': {
      const other = wrong();
      return rng.float() < 0.5 ? ` ${instance.answer} or ${other}.` : ` ${other} or ${instance.answer}.`;
    }
  }
}

/** Draw a style from the weights, then a response of that style. */
export function sampleResponse(
  instance: TaskInstance,
  weights: Readonly<Record<ResponseStyle, number>>,
  rng: Rng,
): { style: ResponseStyle; response: string } {
  const style = RESPONSE_STYLES[rng.categorical(RESPONSE_STYLES.map((s) => weights[s]))];
  return { style, response: writeResponse(instance, style, rng) };
}
