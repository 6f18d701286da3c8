import * as tf from '@tensorflow/tfjs-core';
import {
  Rng,
  type GoldenAnswer,
  type PolicyModel,
  type PolicyUpdate,
  type PolicyUpdateContext,
  type PromptRecord,
  type PromptResponse,
  type ScoredSampleSet,
  type TrainStepResult,
} from '@apogee/core';

export interface DescribePolicyUpdateOptions {
  /** A fresh, trainable policy (tiny: the kit runs real training steps). Disposed by the kit. */
  policy: () => Promise<PolicyModel>;
  /** Runs once before the suite (e.g. `initBackend()`). */
  setup?: () => Promise<void>;
  /** Title (default `policy update conformance: <name>`). */
  title?: string;
}

const QUERIES: PromptRecord[] = [
  { queryId: 'q1', prompt: '\n\nHuman: What is 2+2?\n\nAssistant:' },
  { queryId: 'q2', prompt: '\n\nHuman: Name a colour.\n\nAssistant:' },
  { queryId: 'q3', prompt: '\n\nHuman: Say hi.\n\nAssistant:' },
];

/** Scored samples with clear winners, a tie-free spread, an empty sample and a query whose samples tie. */
const SCORED: ScoredSampleSet[] = [
  { ...QUERIES[0], samples: [' 4.', ' It is 5, I think.', '', ' Four.'], scores: [2.1, -1.3, -0.4, 1.7] },
  { ...QUERIES[1], samples: [' Blue.', ' Colours are hard.', ' Red!', ' um'], scores: [0.9, -2.0, 0.4, -0.7] },
  { ...QUERIES[2], samples: [' Hi!', ' Hello.', ' Hi!', ' hey'], scores: [0.5, 0.5, 0.5, 0.5] },
];

const GOLDEN: GoldenAnswer[] = QUERIES.map((q, i) => ({ queryId: q.queryId, prompt: q.prompt, golden: [' 4.', ' Blue.', ' Hi there!'][i] }));

const PROBE: PromptResponse[] = [
  { prompt: QUERIES[0].prompt, response: ' 4.' },
  { prompt: QUERIES[1].prompt, response: ' Blue.' },
];

function context(policy: PolicyModel, reference: PolicyModel, steps: TrainStepResult[], extra: Partial<PolicyUpdateContext> = {}): PolicyUpdateContext {
  return {
    round: 1,
    policy,
    reference,
    queries: QUERIES,
    scored: SCORED,
    golden: GOLDEN,
    rng: Rng.fromSeed(5).stream('update'),
    onStep: (s) => void steps.push(s),
    ...extra,
  };
}

/**
 * The conformance kit for `PolicyUpdate` plugins (`@apogee/core`): it trains a real policy on a
 * small set of scored samples and checks that the update reports every optimizer step with a
 * finite loss, changes the policy but not the reference, is deterministic for a given RNG stream,
 * stops early when the context's signal is aborted, and leaks no tensors across rounds.
 *
 * ```ts
 * describePolicyUpdate(() => run.resolve(TOKENS.PolicyUpdate), { policy: () => makeTinyPolicy() });
 * ```
 */
export function describePolicyUpdate(factory: () => PolicyUpdate | Promise<PolicyUpdate>, options: DescribePolicyUpdateOptions): void {
  describe(options.title ?? 'policy update conformance', () => {
    let update: PolicyUpdate;
    beforeAll(async () => {
      await options.setup?.();
      update = await factory();
    });

    async function withModels<T>(fn: (policy: PolicyModel, reference: PolicyModel) => Promise<T>): Promise<T> {
      const policy = await options.policy();
      const reference = await policy.clone({ trainable: false });
      try {
        return await fn(policy, reference);
      } finally {
        await reference.dispose();
        await policy.dispose();
      }
    }

    it('has a name and says whether it needs samples', () => {
      expect(typeof update.name).toBe('string');
      expect(update.name.length).toBeGreaterThan(0);
      expect(typeof update.needsSamples).toBe('boolean');
    });

    it('reports every optimizer step with a finite loss, changes the policy and leaves the reference alone', async () => {
      await withModels(async (policy, reference) => {
        const before = await policy.logProbs(PROBE);
        const refBefore = await reference.logProbs(PROBE);
        const steps: TrainStepResult[] = [];
        const result = await update.update(context(policy, reference, steps));
        expect(result.steps).toBeGreaterThan(0);
        expect(steps).toHaveLength(result.steps);
        for (const s of steps) expect(Number.isFinite(s.loss)).toBe(true);
        for (const v of Object.values(result.metrics)) expect(Number.isFinite(v)).toBe(true);
        const after = await policy.logProbs(PROBE);
        expect(Array.from(after.sum)).not.toEqual(Array.from(before.sum));
        expect(Array.from((await reference.logProbs(PROBE)).sum)).toEqual(Array.from(refBefore.sum));
      });
    });

    it('is deterministic for a given RNG stream', async () => {
      const once = () =>
        withModels(async (policy, reference) => {
          const steps: TrainStepResult[] = [];
          await update.update(context(policy, reference, steps));
          return { losses: steps.map((s) => s.loss), probe: Array.from((await policy.logProbs(PROBE)).sum) };
        });
      expect(await once()).toEqual(await once());
    });

    it('stops after the current step when the signal is aborted', async () => {
      await withModels(async (policy, reference) => {
        const abort = new AbortController();
        const steps: TrainStepResult[] = [];
        const ctx = context(policy, reference, steps, { signal: abort.signal });
        ctx.onStep = (s) => {
          steps.push(s);
          abort.abort();
        };
        await update.update(ctx);
        expect(steps.length).toBeLessThanOrEqual(1);
      });
    });

    it('holds no more tensors after round 3 than after round 1', async () => {
      await withModels(async (policy, reference) => {
        const counts: number[] = [];
        for (let round = 1; round <= 3; round++) {
          await update.update(context(policy, reference, [], { round }));
          counts.push(tf.memory().numTensors);
        }
        expect(counts[2]).toBe(counts[0]);
      });
    });
  });
}
