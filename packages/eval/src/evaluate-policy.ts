import {
  ApogeeError,
  ERROR_CODES,
  type EvaluatedSample,
  type Judge,
  type PolicyModel,
  type PreferenceItem,
  type PromptRecord,
  type PromptResponse,
  type RewardModel,
  type Rng,
  type Sampler,
  type SamplerStep,
} from '@apogee/core';
import {
  calibration,
  mean,
  orderedPairs,
  preferenceAccuracy,
  sampledKl,
  winRate,
  type Calibration,
  type ReliabilityBin,
  type ScoredItem,
} from './metrics';

/**
 * Plain ancestral sampling from the model's own distribution (softmax of the logits, temperature
 * 1, no truncation): what an unbiased KL estimate and "the policy's distribution" need.
 */
export class AncestralSampler implements Sampler {
  readonly name = 'ancestral';
  next(step: SamplerStep): Int32Array {
    const out = new Int32Array(step.batch);
    const w = new Float64Array(step.vocab);
    for (let r = 0; r < step.batch; r++) {
      const row = step.logits.subarray(r * step.vocab, (r + 1) * step.vocab);
      let max = -Infinity;
      for (let v = 0; v < step.vocab; v++) if (row[v] > max) max = row[v];
      for (let v = 0; v < step.vocab; v++) w[v] = Number.isFinite(row[v]) ? Math.exp(row[v] - max) : 0;
      out[r] = step.rng.categorical(w);
    }
    return out;
  }
}

/** How the policy is evaluated. */
export interface EvaluationSettings {
  /** Most new tokens per response. */
  maxNewTokens: number;
  /** Stop sequences (reference: `"\nHuman"`). */
  stop: string[];
  /** Samples per test prompt drawn from π itself (temperature 1) for the KL estimate and the policy pairs. Default 4. */
  policySamples: number;
  /** Bins of the reliability diagram (docs/concepts/apo.md §7: 10). */
  bins: number;
  /** Rows per forward pass for scoring and log-probs. */
  batchSize: number;
}

export const DEFAULT_EVALUATION_SETTINGS: Readonly<EvaluationSettings> = {
  maxNewTokens: 48,
  stop: ['\nHuman'],
  policySamples: 4,
  bins: 10,
  batchSize: 64,
};

/** Everything one evaluation needs. */
export interface EvaluatePolicyInput {
  policy: PolicyModel;
  /** π_ref for the KL estimate. */
  reference: PolicyModel;
  /** The gold / testing judge (the world's gold reward, or a testing RM). */
  judge: Judge;
  /** The RM the policy was optimised against (proxy reward, RM accuracy); omit for π₀ alone. */
  reward?: RewardModel;
  /** Test prompts. */
  prompts: readonly PromptRecord[];
  /** Held-out human items (RM accuracy and calibration on human labels). */
  humanItems?: readonly PreferenceItem[];
  /** Test generation sampler (reference: temperature 0.3, top-k 5, top-p 0.85, repetition penalty 1.05). */
  sampler: Sampler;
  /** Gold scores of the baseline (π₀) responses to `prompts`, in order, for the win rate. */
  baselineGold?: ArrayLike<number>;
  rng: Rng;
  settings?: Partial<EvaluationSettings>;
  signal?: AbortSignal;
}

/** The full result: the metrics plus what the report and the samples folder show. */
export interface EvaluationReport {
  /**
   * `goldReward`, `proxyReward`, `winRateVsSft`, `kl`, `meanLength` (bytes), `rmAccuracyHuman`,
   * `rmAccuracyPolicy`, `ece`/`ace`/`mce` (human pairs), `ecePolicy` (policy pairs), `policyPairs`,
   * `humanPairs`. Metrics that cannot be computed (no RM, no human items, no baseline) are absent.
   */
  metrics: Record<string, number>;
  /** Reliability diagram of the RM on the held-out human pairs (empty without RM or items). */
  reliabilityHuman: ReliabilityBin[];
  /** Reliability diagram of the RM on pairs of the policy's own samples labelled by the judge. */
  reliabilityPolicy: ReliabilityBin[];
  /** The policy's test responses (test sampler) with their gold and proxy scores. */
  samples: EvaluatedSample[];
}

async function judgeAll(judge: Judge, batch: readonly PromptResponse[]): Promise<Float32Array> {
  const scores = await judge.score(batch);
  if (scores.length !== batch.length) {
    throw new ApogeeError(ERROR_CODES.INTERNAL, `Judge "${judge.name}" returned ${scores.length} scores for ${batch.length} responses.`);
  }
  return scores;
}

/** Sum of response log-probs, one per pair. */
async function sequenceLogProbs(model: PolicyModel, batch: readonly PromptResponse[], batchSize: number): Promise<Float32Array> {
  return (await model.logProbs(batch, { batchSize })).sum;
}

/** Test-sampler responses to `prompts` with their gold scores (for π₀ baselines, say). */
export async function generateAndJudge(
  policy: PolicyModel,
  prompts: readonly PromptRecord[],
  judge: Judge,
  sampler: Sampler,
  rng: Rng,
  settings: Partial<EvaluationSettings> = {},
): Promise<{ responses: string[]; gold: Float32Array }> {
  const s = { ...DEFAULT_EVALUATION_SETTINGS, ...settings };
  const gens = await policy.generate(prompts.map((p) => p.prompt), { sampler, rng, n: 1, maxNewTokens: s.maxNewTokens, stop: s.stop });
  const responses = gens.map((g) => g[0].text);
  const gold = await judgeAll(judge, prompts.map((p, i) => ({ prompt: p.prompt, response: responses[i] })));
  return { responses, gold };
}

/**
 * What an evaluation measures per test prompt, before any summary: the test responses with their
 * gold (and proxy) scores, and the policy's own samples with their log-probs under π and π_ref
 * (and their gold and RM scores). Computed for all prompts at once ({@link evaluatePolicy}) or per
 * shard of prompts on an executor, then concatenated in prompt order and summarised.
 */
export interface PromptMeasurements {
  responses: string[];
  gold: Float32Array;
  proxy?: Float32Array;
  /** Sum of response log-probs of the policy's own samples (`policySamples` per prompt) under π and π_ref. */
  lpPolicy: Float32Array;
  lpRef: Float32Array;
  /** The judge's and the RM's scores of the policy's own samples (with an RM and `policySamples` ≥ 2). */
  ownGold?: Float32Array;
  ownRm?: Float32Array;
}

/** The per-prompt measurements of {@link evaluatePolicy} (test responses from `rng.stream('test')`, own samples from `rng.stream('policy-samples')`). */
export async function measurePrompts(input: Omit<EvaluatePolicyInput, 'humanItems' | 'baselineGold'>): Promise<PromptMeasurements> {
  const s = { ...DEFAULT_EVALUATION_SETTINGS, ...input.settings };
  const { policy, reference, judge, reward, prompts, rng } = input;
  const { responses, gold } = await generateAndJudge(policy, prompts, judge, input.sampler, rng.stream('test'), s);
  const batch = prompts.map((p, i) => ({ prompt: p.prompt, response: responses[i] }));
  const proxy = reward ? await reward.score(batch, { batchSize: s.batchSize }) : undefined;
  input.signal?.throwIfAborted();

  const k = s.policySamples;
  const own = await policy.generate(prompts.map((p) => p.prompt), {
    sampler: new AncestralSampler(),
    rng: rng.stream('policy-samples'),
    n: k,
    maxNewTokens: s.maxNewTokens,
    stop: s.stop,
  });
  const ownBatch = prompts.flatMap((p, i) => own[i].map((g) => ({ prompt: p.prompt, response: g.text })));
  const [lpPolicy, lpRef] = [await sequenceLogProbs(policy, ownBatch, s.batchSize), await sequenceLogProbs(reference, ownBatch, s.batchSize)];
  input.signal?.throwIfAborted();
  if (!reward || k < 2) return { responses, gold, proxy, lpPolicy, lpRef };
  const ownGold = await judgeAll(judge, ownBatch);
  const ownRm = await reward.score(ownBatch, { batchSize: s.batchSize });
  return { responses, gold, proxy, lpPolicy, lpRef, ownGold, ownRm };
}

/** Measurements of consecutive prompt shards, joined in order. */
export function concatMeasurements(parts: readonly PromptMeasurements[]): PromptMeasurements {
  const cat = (key: 'gold' | 'proxy' | 'lpPolicy' | 'lpRef' | 'ownGold' | 'ownRm'): Float32Array | undefined => {
    if (parts.some((p) => p[key] === undefined)) return undefined;
    const out = new Float32Array(parts.reduce((n, p) => n + p[key]!.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p[key]!, at);
      at += p[key]!.length;
    }
    return out;
  };
  const m: PromptMeasurements = { responses: parts.flatMap((p) => p.responses), gold: cat('gold')!, lpPolicy: cat('lpPolicy')!, lpRef: cat('lpRef')! };
  const proxy = cat('proxy');
  const ownGold = cat('ownGold');
  const ownRm = cat('ownRm');
  return { ...m, ...(proxy ? { proxy } : {}), ...(ownGold && ownRm ? { ownGold, ownRm } : {}) };
}

/**
 * The report of an evaluation from its per-prompt measurements: the policy's metrics, the RM's
 * accuracy and calibration on the policy's own samples, and on the held-out human pairs (scored here).
 */
export async function summarizeEvaluation(m: PromptMeasurements, input: Pick<EvaluatePolicyInput, 'prompts' | 'reward' | 'humanItems' | 'baselineGold' | 'settings'>): Promise<EvaluationReport> {
  const s = { ...DEFAULT_EVALUATION_SETTINGS, ...input.settings };
  const { reward, prompts } = input;
  const { responses, gold, proxy } = m;
  const metrics: Record<string, number> = {};
  metrics.goldReward = mean(gold);
  metrics.meanLength = mean(responses.map((r) => Buffer.byteLength(r, 'utf8')));
  if (proxy) metrics.proxyReward = mean(proxy);
  if (input.baselineGold) metrics.winRateVsSft = winRate(gold, input.baselineGold);
  metrics.kl = sampledKl(m.lpPolicy, m.lpRef);

  const k = s.policySamples;
  let reliabilityHuman: ReliabilityBin[] = [];
  let reliabilityPolicy: ReliabilityBin[] = [];
  if (m.ownGold && m.ownRm) {
    const { ownGold, ownRm } = m;
    const items: ScoredItem[] = prompts.map((_, i) => ({ rewards: ownRm.subarray(i * k, (i + 1) * k), scores: ownGold.subarray(i * k, (i + 1) * k) }));
    const cal = calibration(orderedPairs(items), s.bins);
    metrics.rmAccuracyPolicy = preferenceAccuracy(items);
    metrics.ecePolicy = cal.ece;
    metrics.policyPairs = cal.pairs / 2;
    reliabilityPolicy = cal.bins;
  }

  // Held-out human pairs: RM accuracy and calibration.
  if (reward && input.humanItems && input.humanItems.length > 0) {
    const items = await scoreItems(reward, input.humanItems, s.batchSize);
    const cal: Calibration = calibration(orderedPairs(items), s.bins);
    metrics.rmAccuracyHuman = preferenceAccuracy(items);
    metrics.ece = cal.ece;
    metrics.ace = cal.ace;
    metrics.mce = cal.mce;
    metrics.humanPairs = cal.pairs / 2;
    reliabilityHuman = cal.bins;
  }

  const samples: EvaluatedSample[] = prompts.map((p, i) => ({
    queryId: p.queryId,
    prompt: p.prompt,
    response: responses[i],
    goldReward: gold[i],
    ...(proxy ? { proxyReward: proxy[i] } : {}),
  }));
  return { metrics, reliabilityHuman, reliabilityPolicy, samples };
}

/**
 * Evaluate a policy (and the RM it was optimised against) on test prompts:
 * - policy: mean judge ("gold") reward, mean RM ("proxy") reward, win rate against the baseline by
 *   the judge (ties ½), sampled KL to the reference, mean response length in bytes;
 * - RM: preference accuracy and ECE/ACE/MCE on held-out human pairs, and accuracy on pairs of the
 *   policy's own samples labelled by the judge (the shifted distribution APO targets).
 */
export async function evaluatePolicy(input: EvaluatePolicyInput): Promise<EvaluationReport> {
  if (input.prompts.length === 0) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'evaluatePolicy needs at least one test prompt.', {
      hint: 'Give the data source test prompts (GameData.testQueries), e.g. with @apogee/world.',
    });
  }
  return summarizeEvaluation(await measurePrompts(input), input);
}

/**
 * Every response of every item scored by `reward` in one batched call, split back per item beside
 * the item's own scores (the labels): what RM accuracy and calibration read.
 */
export async function scoreItems(reward: Pick<RewardModel, 'score'>, items: readonly PreferenceItem[], batchSize: number): Promise<ScoredItem[]> {
  const flat = items.flatMap((it) => it.responses.map((r) => ({ prompt: it.prompt, response: r })));
  const z = await reward.score(flat, { batchSize });
  let offset = 0;
  return items.map((it) => {
    const rewards = z.subarray(offset, offset + it.responses.length);
    offset += it.responses.length;
    return { rewards, scores: it.scores };
  });
}
