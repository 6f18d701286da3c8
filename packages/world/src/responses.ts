import type { Rng } from '@apogee/core';
import type { TaskInstance } from './tasks';

/** Courtesy phrases that open a response. They carry no content; the gold reward counts them. */
export const FILLER_PREFIXES = ['Sure! ', 'Of course! ', 'Great question! ', 'Happy to help! ', 'Let me think. '] as const;
/** Courtesy phrases that close a response. */
export const FILLER_SUFFIXES = [' Hope this helps!', ' Glad to help!', ' Anything else?', ' Have a nice day!'] as const;
/** Sentence frames around an answer. */
export const ANSWER_FRAMES = ['The answer is ', 'It is '] as const;
/** Every courtesy phrase, trimmed and lower-cased: what the gold reward counts as one courtesy. */
export const COURTESY_PHRASES: readonly string[] = [...FILLER_PREFIXES, ...FILLER_SUFFIXES].map((s) => s.trim().toLowerCase());

/**
 * Every word the courtesy phrases, the frames and a hedge (`A or B`) use, lower-cased: a response
 * whose words are the answer plus only these states exactly one answer.
 */
export const FILLER_VOCABULARY: ReadonlySet<string> = new Set(
  [...FILLER_PREFIXES, ...FILLER_SUFFIXES, ...ANSWER_FRAMES, ' or ']
    .join(' ')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0),
);

/**
 * Kinds of response the world writes (the SFT demonstrations, the annotation distribution and
 * the golden answers are mixtures of these):
 * - `concise`: ` Tuesday.`; `framed`: ` The answer is Tuesday.` (correct, no courtesy);
 * - `courteous`: correct with exactly one courtesy phrase (` Sure! It is Tuesday.`): the gold optimum;
 * - `rambling`: correct with two courtesy phrases (` Sure! It is Tuesday. Hope this helps!`);
 * - `wrong`, `wrong-courteous`, `wrong-rambling`: the same shapes around a plausible wrong answer;
 * - `hedge`: the right answer and a wrong one (` Tuesday or Monday.`).
 */
export const RESPONSE_STYLES = ['concise', 'framed', 'courteous', 'rambling', 'wrong', 'wrong-courteous', 'wrong-rambling', 'hedge'] as const;
export type ResponseStyle = (typeof RESPONSE_STYLES)[number];

/**
 * π₀'s behaviour distribution (the SFT demonstrations): every style, a quarter of it rambling, so
 * a policy can reach the region the annotation distribution never shows (docs/concepts/world.md).
 */
export const DEFAULT_STYLE_WEIGHTS: Readonly<Record<ResponseStyle, number>> = {
  concise: 0.15,
  framed: 0.15,
  courteous: 0.15,
  rambling: 0.15,
  wrong: 0.1,
  'wrong-courteous': 0.1,
  'wrong-rambling': 0.1,
  hedge: 0.1,
};

/**
 * The annotation distribution: the "other models" whose responses the human pairs compare. It
 * never rambles: human labels say nothing about two courtesy phrases against one, the region a
 * policy optimised against an RM trained on these labels drifts into.
 */
export const DEFAULT_ANNOTATION_STYLE_WEIGHTS: Readonly<Record<ResponseStyle, number>> = {
  concise: 0.2,
  framed: 0.2,
  courteous: 0.2,
  rambling: 0,
  wrong: 0.15,
  'wrong-courteous': 0.15,
  'wrong-rambling': 0,
  hedge: 0.1,
};

/** Longest response the world writes, in UTF-8 bytes (keeps `maxNewTokens` ≈ 48 enough). */
export const MAX_RESPONSE_BYTES = 48;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function framed(answer: string, rng: Rng): string {
  return `${rng.pick(ANSWER_FRAMES)}${answer}.`;
}

/** A core statement with `phrases` courtesy phrases (1: opener or closer; 2: both), shortened to fit. */
function courteous(answer: string, phrases: 1 | 2, rng: Rng): string {
  const useFrame = rng.float() < 0.5;
  const opener = phrases === 2 || rng.float() < 0.5;
  const prefix = opener ? rng.pick(FILLER_PREFIXES) : '';
  const suffix = phrases === 2 || !opener ? rng.pick(FILLER_SUFFIXES) : '';
  const candidates = [` ${prefix}${useFrame ? framed(answer, rng) : `${answer}.`}${suffix}`, ` ${prefix}${answer}.${suffix}`];
  // Shortest phrases last: a long answer still gets its courtesy phrases.
  candidates.push(` ${prefix ? FILLER_PREFIXES[0] : ''}${answer}.${suffix ? FILLER_SUFFIXES[1] : ''}`);
  for (const c of candidates) if (bytes(c) <= MAX_RESPONSE_BYTES) return c;
  return candidates[candidates.length - 1];
}

/**
 * The golden answer of an RM query (the role of the paper's GPT-4 answers), in the frame of the
 * policy's own samples: correct, with exactly one courtesy phrase, drawn from the same phrases
 * and frames π₀'s demonstrations use. Its gold reward is 1.
 */
export function goldenResponse(instance: TaskInstance, rng: Rng): string {
  return courteous(instance.answer, 1, rng);
}

/** One response of the given style to `instance`. Uses `rng` only. */
export function writeResponse(instance: TaskInstance, style: ResponseStyle, rng: Rng): string {
  const wrong = (): string => rng.pick(instance.distractors);
  const plain = (answer: string): string => (rng.float() < 0.5 ? ` ${answer}.` : ` ${framed(answer, rng)}`);
  switch (style) {
    case 'concise':
      return ` ${instance.answer}.`;
    case 'framed':
      return ` ${framed(instance.answer, rng)}`;
    case 'courteous':
      return courteous(instance.answer, 1, rng);
    case 'rambling':
      return courteous(instance.answer, 2, rng);
    case 'wrong':
      return plain(wrong());
    case 'wrong-courteous':
      return courteous(wrong(), 1, rng);
    case 'wrong-rambling':
      return courteous(wrong(), 2, rng);
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
