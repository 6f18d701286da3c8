import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { ANSWER_FRAMES, FILLER_VOCABULARY } from './responses';
import { instanceForPrompt, type TaskInstance } from './tasks';

/** Knobs of the gold reward r*(x, y) (see `docs/concepts/world.md`). */
export interface GoldRewardOptions {
  /**
   * Bytes of length beyond a complete one-sentence answer (`The answer is <A>.`) that cost a factor
   * e⁻¹ of the reward: concision = exp(−extra / concisionScale). Default 16: one filler opener
   * (≈ 10 bytes) beyond a framed answer keeps ≈ 1/2 of the reward, opener plus closer (≈ 30 bytes) ≈ 1/6.
   */
  concisionScale: number;
  /** Credit for a response that states the right answer next to other content (a hedge). Default 0.25. */
  hedgeCredit: number;
}

export const DEFAULT_GOLD_OPTIONS: Readonly<GoldRewardOptions> = { concisionScale: 16, hedgeCredit: 0.25 };

/** The parts the gold reward is made of, for inspection and tests. */
export interface GoldBreakdown {
  /** 1: states exactly the right answer; `hedgeCredit`: right answer among other content; 0: wrong. */
  correctness: number;
  /** Bytes beyond a complete one-sentence answer. */
  extraBytes: number;
  /** exp(−extraBytes / concisionScale), in (0, 1]. */
  concision: number;
  /** correctness × concision, in [0, 1]. */
  reward: number;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Score one response to a known task instance. Pure and cheap. */
export function goldBreakdown(
  instance: TaskInstance,
  response: string,
  options: GoldRewardOptions = DEFAULT_GOLD_OPTIONS,
): GoldBreakdown {
  const text = response.trim();
  const words = text.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  const hasAnswer = words.includes(instance.answer);
  const others = words.filter((w) => w !== instance.answer && !FILLER_VOCABULARY.has(w.toLowerCase()));
  const correctness = !hasAnswer ? 0 : others.length === 0 ? 1 : options.hedgeCredit;
  const natural = bytes(`${ANSWER_FRAMES[0]}${instance.answer}.`);
  const extraBytes = Math.max(0, bytes(text) - natural);
  const concision = Math.exp(-extraBytes / options.concisionScale);
  return { correctness, extraBytes, concision, reward: correctness * concision };
}

/**
 * The world's gold reward r*(prompt, response) in [0, 1]: correctness × concision. Correct means
 * the response states the right answer and nothing else but filler; concision decays with length
 * beyond a one-sentence answer, so padding costs reward.
 *
 * @throws ApogeeError `APOGEE_INVALID_ARGUMENT` when the prompt is not one of the world's questions.
 */
export function goldReward(prompt: string, response: string, options: GoldRewardOptions = DEFAULT_GOLD_OPTIONS): number {
  const instance = instanceForPrompt(prompt);
  if (!instance) {
    throw new ApogeeError(
      ERROR_CODES.INVALID_ARGUMENT,
      `The gold reward can only judge the world's own prompts; this prompt is not one: ${JSON.stringify(prompt.slice(0, 80))}.`,
      { hint: 'Use the prompts of @apogee/world (PreferenceWorld or worldDataSource), or judge with a reward model (rewardModelJudge from @apogee/eval).' },
    );
  }
  return goldBreakdown(instance, response, options).reward;
}
