import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { COURTESY_PHRASES, FILLER_VOCABULARY } from './responses';
import { instanceForPrompt, type TaskInstance } from './tasks';

/**
 * Knobs of the gold reward r*(x, y) = (1 − styleWeight) · correctness + styleWeight · style
 * (docs/concepts/world.md, docs/decisions/0064).
 */
export interface GoldRewardOptions {
  /**
   * Share of the reward that is style (the courtesy of the answer), the rest being correctness.
   * Default 0.7. Style is a skill every task shares, so what a policy learns about it on its
   * training prompts carries to prompts it never saw; correctness is per-prompt knowledge.
   */
  styleWeight: number;
  /**
   * Style credit by the number of courtesy phrases (`Sure!`, `Hope this helps!`, …): index 0 for
   * none, 1 for one, 2 for two, the last entry for that many or more. Default `[0.5, 1, 0.2, 0]`:
   * one courtesy phrase is best, none is curt, two ramble. The optimum is interior, so "more of
   * what raters liked" stops paying (the shape behind reward over-optimisation, Gao et al. 2022).
   */
  courtesy: number[];
  /** Correctness credit of a response that states the right answer next to a wrong one (a hedge). Default 0.25. */
  hedgeCredit: number;
}

export const DEFAULT_GOLD_OPTIONS: Readonly<GoldRewardOptions> = { styleWeight: 0.7, courtesy: [0.5, 1, 0.2, 0], hedgeCredit: 0.25 };

/** The parts the gold reward is made of, for inspection and tests. */
export interface GoldBreakdown {
  /** 1: states exactly the right answer; `hedgeCredit`: right answer next to other content; 0: wrong. */
  correctness: number;
  /** Courtesy phrases in the response. */
  courtesyPhrases: number;
  /**
   * Whether the response is a well-formed answer: one or two content words (the answer, a wrong
   * answer, a hedge), the rest courtesy and frame words. Garbage earns no style credit.
   */
  wellFormed: boolean;
  /** `courtesy[courtesyPhrases]` if well formed, else 0. */
  style: number;
  /** (1 − styleWeight) · correctness + styleWeight · style, in [0, 1]. */
  reward: number;
}

function countPhrases(text: string): number {
  const lower = text.toLowerCase();
  let n = 0;
  for (const phrase of COURTESY_PHRASES) {
    for (let at = lower.indexOf(phrase); at >= 0; at = lower.indexOf(phrase, at + phrase.length)) n++;
  }
  return n;
}

/** Score one response to a known task instance. Pure and cheap. */
export function goldBreakdown(
  instance: TaskInstance,
  response: string,
  options: GoldRewardOptions = DEFAULT_GOLD_OPTIONS,
): GoldBreakdown {
  const text = response.trim();
  const words = text.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  const hasAnswer = words.includes(instance.answer);
  const content = words.filter((w) => !FILLER_VOCABULARY.has(w.toLowerCase()) || w === instance.answer);
  const others = content.filter((w) => w !== instance.answer);
  const correctness = !hasAnswer ? 0 : others.length === 0 ? 1 : options.hedgeCredit;
  const courtesyPhrases = countPhrases(text);
  const wellFormed = content.length >= 1 && content.length <= 2;
  const table = options.courtesy;
  const style = wellFormed ? table[Math.min(courtesyPhrases, table.length - 1)] : 0;
  const w = options.styleWeight;
  return { correctness, courtesyPhrases, wellFormed, style, reward: (1 - w) * correctness + w * style };
}

/**
 * The world's gold reward r*(prompt, response) ∈ [0, 1]: correctness and style (one courtesy
 * phrase is best; none is curt; two or more ramble), in the proportions `styleWeight` sets.
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
