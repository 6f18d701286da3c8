import type { Evaluation, EvaluationContext, Evaluator, PolicyModel, ReliabilityRow, PreferenceItem, PromptRecord, RewardModel, Rng, Sampler } from '@apogee/core';
import { calibration, mean, orderedPairs, preferenceAccuracy, sampledKl, scoreItems } from '@apogee/eval';
import type { PreferenceWorld } from '@apogee/world';

/** How the quickstart evaluates a policy on the held-out prompts (docs/decisions/0064). */
export interface HeldOutSettings {
  /** Samples per held-out prompt at the training sampler: the primary endpoint (issue: 8). */
  samples: number;
  /** Most new tokens per response. */
  maxNewTokens: number;
  /** Rows per forward pass when scoring. */
  batchSize: number;
}

/** One policy's held-out samples and their gold rewards, `[prompt][sample]`. */
export interface HeldOutSamples {
  responses: string[][];
  gold: number[][];
}

export interface HeldOutInput {
  policy: PolicyModel;
  /** π₀, for the sampled KL. */
  reference: PolicyModel;
  /** The RM the policy was optimised against (proxy reward, held-out rater accuracy); omit for π₀. */
  reward?: RewardModel;
  world: PreferenceWorld;
  prompts: readonly PromptRecord[];
  /** Held-out rater pairs on the test prompts (the annotation distribution, held-out raters). */
  testItems: readonly PreferenceItem[];
  /** The training sampler (temperature 1, no truncation: the policy's own distribution). */
  trainSampler: Sampler;
  /** The reference test sampler (temperature 0.3, top-k 5, …): a secondary endpoint. */
  testSampler: Sampler;
  /** The same stream for every round and every arm of a seed: common random numbers. */
  rng: Rng;
  settings: HeldOutSettings;
}

/**
 * One evaluation on the held-out prompts (the game never trains on them):
 * - `goldReward` (primary): mean gold reward of `samples` samples per prompt at the training
 *   sampler; `correct`, `courtesy1`, `courtesy2` break it down (share of samples that are correct,
 *   that have exactly one courtesy phrase, that have two or more);
 * - `kl`: sampled KL to π₀ on the same samples (mean of log π − log π₀), `meanLength` in bytes;
 * - `goldRewardTestSampler` (secondary): one response per prompt with the reference test sampler;
 * - `proxyReward`: the RM's mean score on the samples; `rmAccuracyHuman`, `ece`: the RM on the
 *   held-out rater pairs.
 */
export async function evaluateHeldOut(input: HeldOutInput): Promise<{ metrics: Record<string, number>; samples: HeldOutSamples; reliability?: ReliabilityRow[] }> {
  const { policy, reference, reward, world, prompts, settings, rng } = input;
  const n = settings.samples;
  const gens = await policy.generate(prompts.map((p) => p.prompt), {
    sampler: input.trainSampler,
    rng: rng.stream('held-out-samples'),
    n,
    maxNewTokens: settings.maxNewTokens,
    stop: ['\nHuman'],
  });
  const responses = gens.map((g) => g.map((x) => x.text));
  const flat = prompts.flatMap((p, i) => responses[i].map((response) => ({ prompt: p.prompt, response })));
  const breakdown = flat.map((b) => world.goldBreakdown(b.prompt, b.response));
  const goldFlat = breakdown.map((b) => b.reward);
  const gold = prompts.map((_, i) => goldFlat.slice(i * n, (i + 1) * n));
  const metrics: Record<string, number> = {
    goldReward: mean(goldFlat),
    correct: mean(breakdown.map((b) => (b.correctness === 1 ? 1 : 0))),
    courtesy1: mean(breakdown.map((b) => (b.courtesyPhrases === 1 ? 1 : 0))),
    courtesy2: mean(breakdown.map((b) => (b.courtesyPhrases >= 2 ? 1 : 0))),
    meanLength: mean(flat.map((b) => Buffer.byteLength(b.response, 'utf8'))),
  };
  const lp = (await policy.logProbs(flat, { batchSize: settings.batchSize })).sum;
  const lpRef = (await reference.logProbs(flat, { batchSize: settings.batchSize })).sum;
  metrics.kl = sampledKl(lp, lpRef);

  const test = await policy.generate(prompts.map((p) => p.prompt), {
    sampler: input.testSampler,
    rng: rng.stream('test-sampler'),
    n: 1,
    maxNewTokens: settings.maxNewTokens,
    stop: ['\nHuman'],
  });
  metrics.goldRewardTestSampler = mean(prompts.map((p, i) => world.goldReward(p.prompt, test[i][0].text)));

  if (reward) {
    metrics.proxyReward = mean(await reward.score(flat, { batchSize: settings.batchSize }));
    if (input.testItems.length > 0) {
      const items = await scoreItems(reward, input.testItems, settings.batchSize);
      const cal = calibration(orderedPairs(items), 10);
      metrics.rmAccuracyHuman = preferenceAccuracy(items);
      metrics.ece = cal.ece;
      const reliability = cal.bins.map((b) => ({ lower: b.lower, upper: b.upper, count: b.count, confidence: b.meanP, accuracy: b.meanY }));
      return { metrics, samples: { responses, gold }, reliability };
    }
  }
  return { metrics, samples: { responses, gold } };
}

/** What the quickstart's evaluator keeps of each round. */
export interface HeldOutRound {
  round: number;
  metrics: Record<string, number>;
  samples: HeldOutSamples;
}

/**
 * The quickstart's `Evaluator`: {@link evaluateHeldOut} every round with the round's policy and
 * RM; keeps every round's samples (for the same-pair RM evaluation) and hands the round's RM to
 * `onReward` (which saves the RMs the protocol compares).
 */
export class HeldOutEvaluator implements Evaluator {
  readonly rounds: HeldOutRound[] = [];
  constructor(
    private readonly base: Omit<HeldOutInput, 'policy' | 'reference' | 'reward' | 'rng'>,
    private readonly onReward?: (round: number, reward: RewardModel) => Promise<void>,
  ) {}

  async evaluate(context: EvaluationContext): Promise<Evaluation> {
    const { metrics, samples, reliability } = await evaluateHeldOut({ ...this.base, policy: context.policy, reference: context.reference, reward: context.reward, rng: context.rng });
    this.rounds.push({ round: context.round, metrics, samples });
    await this.onReward?.(context.round, context.reward);
    const shown = this.base.prompts.flatMap((p, i) => samples.responses[i].map((response, k) => ({ queryId: p.queryId, prompt: p.prompt, response, goldReward: samples.gold[i][k] })));
    return { metrics, report: { samples: shown, ...(reliability ? { reliability } : {}) } };
  }
}
