import {
  ApogeeError,
  definePlugin,
  ERROR_CODES,
  Rng,
  token,
  TOKENS,
  type ApogeeConfig,
  type Evaluation,
  type EvaluationContext,
  type Evaluator,
  type GameDataSource,
  type Judge,
  type Logger,
  type PolicyModel,
  type PromptRecord,
  type PromptResponse,
  type RewardFactory,
  type RewardModel,
  type Sampler,
} from '@apogee/core';
import { inject, injectable, Lifecycle } from 'tsyringe';
import { z } from 'zod';
import { COMPONENT_RECIPE, EXECUTOR, shardRanges, type ComponentRecipe, type Executor } from '@apogee/executor/contract';
import {
  concatMeasurements,
  DEFAULT_EVALUATION_SETTINGS,
  evaluatePolicy,
  generateAndJudge,
  measurePrompts,
  summarizeEvaluation,
  type EvaluationReport,
  type PromptMeasurements,
} from './evaluate-policy';
import { EVAL_TASKS, fromWire, publishSaved, type EvalShard, type WireMeasurements } from './eval-jobs';
import { reliabilityRows } from './metrics';

const PKG = '@apogee/eval';

/** Options of {@link evaluator}. */
export const evaluatorOptionsSchema = z
  .object({
    /** Evaluate on at most this many test prompts (0: all). Default 0. */
    maxPrompts: z.number().int().min(0).default(0),
    /** Samples per prompt from π itself (temperature 1) for KL and the policy pairs. Default 4. */
    policySamples: z.number().int().min(1).max(64).default(DEFAULT_EVALUATION_SETTINGS.policySamples),
    /** Reliability-diagram bins (docs/concepts/apo.md §7: 10). */
    bins: z.number().int().min(1).max(1000).default(DEFAULT_EVALUATION_SETTINGS.bins),
    /** Rows per forward pass when scoring. Default 64. */
    batchSize: z.number().int().min(1).default(DEFAULT_EVALUATION_SETTINGS.batchSize),
    /** Most new tokens per response; 0: the game's `maxNewTokens`. Default 0. */
    maxNewTokens: z.number().int().min(0).default(0),
    /**
     * Test prompts per job when the run has an executor (`apogee run`): each job draws from its
     * own stream of (run seed, shard), so every executor and worker count gives the same report.
     * Default 16.
     */
    jobSize: z.number().int().min(1).default(16),
  })
  .strict();
export type EvaluatorOptions = z.output<typeof evaluatorOptionsSchema>;

export const EVALUATOR_OPTIONS = token<EvaluatorOptions>(PKG, 'EvaluatorOptions');

/** One round's full evaluation, as kept by {@link PolicyEvaluator.history}. */
export interface RoundEvaluation {
  round: number;
  report: EvaluationReport;
}

/**
 * The game's evaluator: after each round it generates on the data's test prompts
 * (`GameData.testQueries`, else the LLM queries) and computes {@link EvaluationReport.metrics}
 * with the run's `Judge`, `EvalSampler` and the RM of the round. The win rate is against the
 * responses of the `reference` policy the game passes (π₀), generated once and cached.
 */
@injectable()
export class PolicyEvaluator implements Evaluator {
  /** Every round's full report, in order (the quickstart writes samples and reliability from it). */
  readonly history: RoundEvaluation[] = [];
  private readonly baselines = new WeakMap<PolicyModel, Float32Array>();
  private warned = false;

  constructor(
    @inject(EVALUATOR_OPTIONS) private readonly options: EvaluatorOptions,
    @inject(TOKENS.GameDataSource) private readonly source: GameDataSource,
    @inject(TOKENS.Judge) private readonly judge: Judge,
    @inject(TOKENS.EvalSampler) private readonly sampler: Sampler,
    @inject(TOKENS.Config) private readonly config: ApogeeConfig,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(EXECUTOR, { isOptional: true }) private readonly executor?: Executor,
    @inject(COMPONENT_RECIPE, { isOptional: true }) private readonly recipe?: ComponentRecipe,
  ) {}

  /** The round's metrics, with its reliability rows (human pairs) and scored test samples as the report part. */
  async evaluate(context: EvaluationContext): Promise<Evaluation> {
    const { metrics, reliabilityHuman, samples } = await this.report(context);
    return { metrics, report: { reliability: reliabilityRows(reliabilityHuman), samples } };
  }

  /** The full report (metrics, reliability bins, scored samples) of one round. */
  async report(context: EvaluationContext): Promise<EvaluationReport> {
    if (this.executor) return this.reportOnJobs(context, this.executor);
    const prompts = await this.prompts();
    const settings = this.settings();
    let baselineGold = this.baselines.get(context.reference);
    if (!baselineGold) {
      baselineGold = (await generateAndJudge(context.reference, prompts, this.judge, this.sampler, context.rng.stream('eval/baseline'), settings)).gold;
      this.baselines.set(context.reference, baselineGold);
    }
    const report = await evaluatePolicy({
      policy: context.policy,
      reference: context.reference,
      reward: context.reward,
      judge: this.judge,
      prompts,
      humanItems: (await this.source.load()).testItems,
      sampler: this.sampler,
      baselineGold,
      rng: context.rng.stream('eval'),
      settings,
      signal: context.signal,
    });
    this.history.push({ round: context.round, report });
    return report;
  }

  /**
   * {@link report} with the test prompts cut into jobs of `jobSize` on the run's executor: the
   * baseline's responses (once) and each round's measurements per shard, joined in order and
   * summarised here. In-process, the jobs use this process's models; otherwise the models travel
   * by snapshot hash and workers rebuild the judge and samplers from the run's recipe.
   */
  private async reportOnJobs(context: EvaluationContext, executor: Executor): Promise<EvaluationReport> {
    const prompts = await this.prompts();
    const settings = this.settings();
    const shards = (stream: Rng): EvalShard[] =>
      shardRanges(prompts.length, this.options.jobSize).map(([a, b], s) => ({
        prompts: prompts.slice(a, b).map((p) => ({ queryId: p.queryId, prompt: p.prompt })),
        rng: stream.stream(`shard/${s}`).getState(),
        settings,
      }));
    const local = executor.kind === 'in-process';
    // Progress counts jobs: the baseline's (first round only), then the round's measurements.
    let baselineGold = this.baselines.get(context.reference);
    const base = baselineGold ? [] : shards(context.rng.stream('eval/baseline'));
    const measured = shards(context.rng.stream('eval'));
    let pending: Promise<void> = Promise.resolve();
    const progress = (offset: number) => (done: number) => {
      const report = context.onProgress;
      if (report) pending = pending.then(() => report(offset + done, base.length + measured.length));
    };
    const remote = async <O>(task: typeof EVAL_TASKS.measure, inputs: EvalShard[], models: Record<string, string | undefined>, label: string, offset: number): Promise<O[]> => {
      if (!this.recipe) {
        throw new ApogeeError(ERROR_CODES.MISSING_PROVIDER, `The ${executor.kind} executor evaluates in other processes, but nothing tells them how to rebuild the run's plugins.`, {
          hint: 'Register a ComponentRecipe (COMPONENT_RECIPE of @apogee/executor) beside EXECUTOR; `apogee run` does.',
        });
      }
      const components = this.recipe;
      return executor.map(task, inputs.map((sh) => ({ ...sh, components, ...models })), { label, signal: context.signal, onProgress: progress(offset) });
    };
    try {
      const reference = local ? undefined : await publishSaved(executor, context.reference);
      if (!baselineGold) {
        const golds: Float32Array[] = [];
        if (local) {
          for (const sh of base) {
            golds.push((await generateAndJudge(context.reference, sh.prompts, this.judge, this.sampler, Rng.fromState(sh.rng), settings)).gold);
            progress(0)(golds.length);
          }
        } else {
          const out = await remote<Array<number | null>>(EVAL_TASKS.baseline, base, { reference }, `eval-baseline`, 0);
          for (const g of out) golds.push(Float32Array.from(g, (v) => (v === null ? NaN : v)));
        }
        baselineGold = new Float32Array(golds.reduce((n, g) => n + g.length, 0));
        golds.reduce((at, g) => (baselineGold!.set(g, at), at + g.length), 0);
        this.baselines.set(context.reference, baselineGold);
      }

      let parts: PromptMeasurements[];
      if (local) {
        parts = [];
        for (const sh of measured) {
          context.signal?.throwIfAborted();
          const { policy, reward, signal } = context;
          parts.push(await measurePrompts({ policy, reference: context.reference, reward, judge: this.judge, sampler: this.sampler, prompts: sh.prompts, rng: Rng.fromState(sh.rng), settings, signal }));
          progress(base.length)(parts.length);
        }
      } else {
        const models = {
          policy: await publishSaved(executor, context.policy),
          reference,
          reward: context.reward ? await publishSaved(executor, context.reward) : undefined,
        };
        parts = (await remote<WireMeasurements>(EVAL_TASKS.measure, measured, models, `eval-r${context.round}`, base.length)).map(fromWire);
      }
      const report = await summarizeEvaluation(concatMeasurements(parts), { prompts, reward: context.reward, humanItems: (await this.source.load()).testItems, baselineGold, settings });
      this.history.push({ round: context.round, report });
      return report;
    } finally {
      await pending;
    }
  }

  /** The evaluation settings this evaluator uses (for evaluating π₀ the same way). */
  settings() {
    return {
      ...DEFAULT_EVALUATION_SETTINGS,
      maxNewTokens: this.options.maxNewTokens || this.config.game.maxNewTokens,
      stop: [...this.config.game.stop],
      policySamples: this.options.policySamples,
      bins: this.options.bins,
      batchSize: this.options.batchSize,
    };
  }

  /** The test prompts: `testQueries`, else (with a warning) the LLM queries; capped at `maxPrompts`. */
  async prompts(): Promise<readonly PromptRecord[]> {
    const data = await this.source.load();
    let prompts = data.testQueries;
    if (!prompts || prompts.length === 0) {
      if (!this.warned) this.logger.warn('The data has no test prompts (GameData.testQueries); evaluating on the LLM queries, which the policy was trained on.');
      this.warned = true;
      prompts = data.llmQueries;
    }
    if (prompts.length === 0) {
      throw new ApogeeError(ERROR_CODES.DATA_INVALID, 'The data has neither test prompts nor LLM queries to evaluate on.');
    }
    return this.options.maxPrompts > 0 ? prompts.slice(0, this.options.maxPrompts) : prompts;
  }
}

/**
 * Registers {@link PolicyEvaluator} as `TOKENS.Evaluator`. Needs `TOKENS.GameDataSource`,
 * `TOKENS.Judge` (e.g. `goldJudge()` from @apogee/world, or {@link rewardModelJudge}) and
 * `TOKENS.EvalSampler`.
 */
export const evaluator = definePlugin('evaluator', {
  provides: [TOKENS.Evaluator, EVALUATOR_OPTIONS],
  schema: evaluatorOptionsSchema,
  register: (container, options) => {
    container.register(EVALUATOR_OPTIONS, { useValue: options });
    container.register(TOKENS.Evaluator, { useClass: PolicyEvaluator }, { lifecycle: Lifecycle.ContainerScoped });
  },
});

/** Any `RewardModel` as a `Judge`: a real testing RM in place of the world's gold reward. */
export class RewardModelJudge implements Judge {
  constructor(
    private readonly model: RewardModel,
    readonly name = 'reward-model',
    private readonly batchSize = 64,
  ) {}

  score(batch: readonly PromptResponse[]): Promise<Float32Array> {
    return this.model.score(batch, { batchSize: this.batchSize });
  }
}

/** Options of {@link rewardModelJudge}. */
export const rewardModelJudgeOptionsSchema = z
  .object({
    /** Directory of a saved reward model (`RewardModel.save`), loaded with `TOKENS.RewardFactory`. */
    dir: z.string({ error: 'give the directory of a saved reward model' }).min(1, 'give the directory of a saved reward model'),
    /** Judge name in reports. Default `testing-rm`. */
    name: z.string().min(1).default('testing-rm'),
    /** Rows per forward pass. Default 64. */
    batchSize: z.number().int().min(1).default(64),
  })
  .strict();
export type RewardModelJudgeOptions = z.output<typeof rewardModelJudgeOptionsSchema>;

export const REWARD_MODEL_JUDGE_OPTIONS = token<RewardModelJudgeOptions>(PKG, 'RewardModelJudgeOptions');

/** Loads the testing RM on first use and disposes it with the run. */
@injectable()
export class LoadedRewardModelJudge implements Judge {
  readonly name: string;
  private model?: Promise<RewardModel>;

  constructor(
    @inject(REWARD_MODEL_JUDGE_OPTIONS) private readonly options: RewardModelJudgeOptions,
    @inject(TOKENS.RewardFactory) private readonly factory: RewardFactory,
  ) {
    this.name = options.name;
  }

  async score(batch: readonly PromptResponse[]): Promise<Float32Array> {
    this.model ??= this.factory.load(this.options.dir);
    return (await this.model).score(batch, { batchSize: this.options.batchSize });
  }

  async dispose(): Promise<void> {
    if (this.model) await (await this.model).dispose();
  }
}

/** Registers a saved reward model as `TOKENS.Judge` (a testing RM, as in the paper's evaluation). */
export const rewardModelJudge = definePlugin('reward-model-judge', {
  provides: [TOKENS.Judge, REWARD_MODEL_JUDGE_OPTIONS],
  schema: rewardModelJudgeOptionsSchema,
  register: (container, options) => {
    container.register(REWARD_MODEL_JUDGE_OPTIONS, { useValue: options });
    container.register(TOKENS.Judge, { useClass: LoadedRewardModelJudge }, { lifecycle: Lifecycle.ContainerScoped });
  },
});
