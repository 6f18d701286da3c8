import * as fs from 'node:fs';
import * as path from 'node:path';
import { inject, injectable, type DependencyContainer } from 'tsyringe';
import {
  ApogeeError,
  ERROR_CODES,
  RoundCallbacks,
  isApogeeError,
  Rng,
  TOKEN_PROVIDERS,
  TOKENS,
  cutAtStop,
  tokenName,
  type ApogeeConfig,
  type Evaluator,
  type GameController,
  type GameData,
  type GameResult,
  type GoldenAnswer,
  type Logger,
  type Phase,
  type PolicyModel,
  type PolicyUpdate,
  type PreferenceItem,
  type Problem,
  type RoundReport,
  type PromptRecord,
  type RewardModel,
  type SampleSet,
  type ScoredSampleSet,
  type Token,
  type TrainStepResult,
} from '@apogee/core';
import { formatApoItems, formatSamples, formatScores, readSamples, readScores } from './artifacts';
import {
  CheckpointStore,
  RUN_FILE,
  modelDir,
  rngEntry,
  roundDir,
  type CheckpointManifest,
} from './checkpoint';
import { attachScores, buildApoItems, flattenSamples, prepareGolden, sampleMetrics, scoreMetrics } from './items';
import { GAME_OPTIONS, type GameOptions } from './options';
import { isLastPhase, nextPhase, type GamePosition, type RoundPlanInput } from './phases';
import { trainRewardModel } from './rm-trainer';
import { sftPolicy } from './sft-init';

/** The container the game resolves its components from (registered by `apoGame`). */
export const GAME_CONTAINER = Symbol.for('@apogee/game:Container') as Token<DependencyContainer>;

/** Tokens the game cannot run without. */
const REQUIRED = [
  TOKENS.PolicyFactory,
  TOKENS.RewardFactory,
  TOKENS.Sampler,
  TOKENS.RewardLoss,
  TOKENS.PolicyUpdate,
  TOKENS.GameDataSource,
] as const;

/** Thrown internally when the AbortSignal fires; turned into `GameResult.stopped`. */
class StopRequested extends Error {}

/** A round's working set: what its completed phases produced. */
interface RoundWork {
  samplesRm?: SampleSet[];
  apoItems?: PreferenceItem[];
  samplesLlm?: SampleSet[];
  scored?: ScoredSampleSet[];
  artifacts: CheckpointManifest['artifacts'];
}

/** Everything the game plays with, resolved once per `run`/`resume`. */
interface Components {
  update: PolicyUpdate;
  evaluator?: Evaluator;
  callbacks: RoundCallbacks;
  data: GameData;
  golden: GoldenAnswer[];
  plan: RoundPlanInput;
  /** The report part of each round evaluated by this call. */
  reports: RoundReport[];
}

/** Models of the game; owned by the controller and freed by `dispose()`. */
interface Models {
  policy: PolicyModel;
  reference: PolicyModel;
  rm?: RewardModel;
  paths: CheckpointManifest['models'];
}

/**
 * The RM–LLM game of Adversarial Preference Optimization (Cheng et al. 2024, §3–§4; apo-method.md §4),
 * one phase at a time, with a checkpoint after every phase:
 * 1. `sample-rm`: n samples per RM query from π_t, cut at the stop strings (APO only);
 * 2. `train-rm`: RM_t on human items + golden ≻ sample items with `TOKENS.RewardLoss`, from the
 *    base model or the last RM (`game.rmInit`); the baseline trains RM_Base once, on human items;
 * 3. `sample-llm`: n samples per LLM query from π_t; 4. `score`: score them with RM_t;
 * 5. `update-policy`: `TOKENS.PolicyUpdate` → π_{t+1}; 6. `eval`: `TOKENS.Evaluator`, when registered.
 * Every phase draws randomness from its own stream (`r<round>/<phase>` of the game's RNG), so a
 * run resumed from any checkpoint replays exactly what the uninterrupted run would have done.
 */
@injectable()
export class ApoGameController implements GameController {
  private models?: Models;
  /** The directory of the run being played (for messages). */
  private activeDir?: string;

  constructor(
    @inject(GAME_OPTIONS) private readonly options: GameOptions,
    @inject(TOKENS.Config) private readonly config: ApogeeConfig,
    @inject(TOKENS.Rng) private readonly rootRng: Rng,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(GAME_CONTAINER) private readonly container: DependencyContainer,
  ) {}

  /** The current policy (after `run`, the final one); owned by the controller. */
  get policy(): PolicyModel | undefined {
    return this.models?.policy;
  }

  /** The current round's RM (or RM_Base); owned by the controller. */
  get reward(): RewardModel | undefined {
    return this.models?.rm;
  }

  /** Whether this game is APO (`true`) or the RM_Base baseline (`false`). */
  get apo(): boolean {
    return this.options.apo ?? this.config.game.apo;
  }

  /** The directory checkpoints go to: `options.dir`, or `<config.outDir>/checkpoints`. */
  get dir(): string {
    return this.options.dir ?? path.join(this.config.outDir, 'checkpoints');
  }

  /** The run directory of a checkpoint directory `<outDir>/checkpoints` (what `apogee resume` takes). */
  private runDirOf(checkpointDir: string): string {
    return path.basename(checkpointDir) === 'checkpoints' ? path.dirname(checkpointDir) : checkpointDir;
  }

  /** `resume` accepts the checkpoint directory itself or the run directory holding `checkpoints/`. */
  static checkpointDirOf(dir: string): string {
    const nested = path.join(dir, 'checkpoints');
    if (!fs.existsSync(path.join(dir, RUN_FILE)) && fs.existsSync(path.join(nested, RUN_FILE))) return nested;
    return dir;
  }

  run(options: { signal?: AbortSignal } = {}): Promise<GameResult> {
    return this.play(undefined, options.signal);
  }

  resume(dir: string, options: { signal?: AbortSignal } = {}): Promise<GameResult> {
    return this.play(ApoGameController.checkpointDirOf(dir), options.signal);
  }

  private finalModels(): GameResult['models'] {
    const m = this.models;
    return m && { policy: m.policy, reference: m.reference, reward: m.rm, apo: this.apo };
  }

  async dispose(): Promise<void> {
    await this.disposeModels();
  }

  private async disposeModels(): Promise<void> {
    const m = this.models;
    this.models = undefined;
    if (!m) return;
    await m.rm?.dispose();
    await m.reference.dispose();
    await m.policy.dispose();
  }

  // ---------------------------------------------------------------- setup

  private checkProviders(): void {
    const problems: Problem[] = [];
    const required: Token<unknown>[] = [...REQUIRED];
    if (!this.options.policyDir) required.push(TOKENS.Tokenizer);
    for (const t of required) {
      if (!this.container.isRegistered(t, true)) {
        problems.push({ path: tokenName(t), message: `not registered; usually provided by ${TOKEN_PROVIDERS[t] ?? 'a plugin'}` });
      }
    }
    if (problems.length > 0) {
      throw new ApogeeError(ERROR_CODES.MISSING_PROVIDER, `The game is missing ${problems.length} provider${problems.length === 1 ? '' : 's'}:`, {
        problems,
        hint: 'Add the plugins named above to `plugins` (a variant preset such as @apogee/variant-rjs-apo brings the game, update and losses).',
      });
    }
  }

  private async components(): Promise<Components> {
    this.checkProviders();
    const update = this.container.resolve(TOKENS.PolicyUpdate);
    const evaluator = this.container.isRegistered(TOKENS.Evaluator, true) ? this.container.resolve(TOKENS.Evaluator) : undefined;
    const callbacks = new RoundCallbacks(
      this.container.isRegistered(TOKENS.RoundCallback, true) ? this.container.resolveAll(TOKENS.RoundCallback) : [],
    );
    const data = await this.container.resolve(TOKENS.GameDataSource).load();
    const plan: RoundPlanInput = { apo: this.apo, needsSamples: update.needsSamples, evaluate: evaluator !== undefined };
    const problems: Problem[] = [];
    if (data.humanItems.length === 0) problems.push({ path: 'humanItems', message: 'is empty; the RM needs human preference pairs' });
    if (plan.apo && data.rmQueries.length === 0) problems.push({ path: 'rmQueries', message: 'is empty; APO samples the policy on RM queries' });
    if (plan.apo && data.golden.length === 0) problems.push({ path: 'golden', message: 'is empty; APO compares samples with golden answers' });
    if (plan.needsSamples && data.llmQueries.length === 0) problems.push({ path: 'llmQueries', message: `is empty; the "${update.name}" update needs samples of LLM queries` });
    if (problems.length > 0) {
      throw new ApogeeError(ERROR_CODES.DATA_INVALID, 'The game data cannot be played:', {
        problems,
        hint: 'Check the data source (files or world) the run was given.',
      });
    }
    const golden = prepareGolden(data.golden, data.rmQueries, this.config.game.stop);
    return { update, evaluator, callbacks, data, golden, plan, reports: [] };
  }

  /** What a resumed run must agree on with the original: anything that changes the numbers. */
  private fingerprint(update: PolicyUpdate): Record<string, unknown> {
    const { rounds: _rounds, ...game } = this.config.game;
    return {
      seed: this.config.seed,
      apo: this.apo,
      policyUpdate: update.name,
      game,
      rm: this.options.rm,
      sftInit: this.options.sftInit,
      policyDir: this.options.policyDir ?? null,
    };
  }

  private async startFresh(
    store: CheckpointStore | undefined,
    update: PolicyUpdate,
    data: GameData,
    callbacks: RoundCallbacks,
    signal: AbortSignal | undefined,
  ): Promise<{ gameRng: Rng }> {
    if (store) {
      if (store.hasCheckpoint() && !this.options.overwrite) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `The run directory ${store.dir} already holds a checkpoint.`, {
          hint: `Continue it with \`apogee resume ${this.runDirOf(store.dir)}\` (or game.resume), choose another outDir, or pass overwrite: true to apoGame.`,
        });
      }
      for (const sub of ['checkpoint.json', 'models', 'rounds']) {
        await fs.promises.rm(store.resolve(sub), { recursive: true, force: true });
      }
    }
    // run.json first: a run killed at any later moment is recognisable (and restartable) by resume.
    if (store) {
      await store.writeRunInfo({ format: 'apogee-run', ...this.fingerprint(update), rounds: this.config.game.rounds, plugins: this.config.plugins });
    }
    const gameRng = this.rootRng.stream('game');
    const policy = this.options.policyDir
      ? await this.container.resolve(TOKENS.PolicyFactory).load(this.options.policyDir)
      : await this.container
          .resolve(TOKENS.PolicyFactory)
          .create({ tokenizer: this.container.resolve(TOKENS.Tokenizer), seed: gameRng.stream('init/policy').seed() });
    const demos = data.sftDemos ?? [];
    if (this.options.sftInit.enabled && demos.length > 0) {
      if (!this.container.isRegistered(TOKENS.SftLoss, true)) {
        await policy.dispose();
        throw new ApogeeError(ERROR_CODES.MISSING_PROVIDER, `The data has ${demos.length} SFT demonstrations for π₀, but no SftLoss is registered.`, {
          hint: 'Add @apogee/losses (sftLoss) to `plugins`, or pass sftInit: { enabled: false } to apoGame.',
        });
      }
      const sftRng = gameRng.stream('init/sft');
      let done: Record<string, number> | undefined;
      try {
        done = await sftPolicy(
          policy,
          demos,
          this.container.resolve(TOKENS.SftLoss),
          this.options.sftInit,
          sftRng,
          (result, total) => this.reportStep(callbacks, 0, 'update-policy', result, total),
          () => signal?.aborted === true,
        );
      } catch (e) {
        await policy.dispose();
        if (isApogeeError(e) && e.code === ERROR_CODES.NON_FINITE) {
          throw new ApogeeError(ERROR_CODES.NON_FINITE, `SFT of π₀ before round 1: ${e.message}`, { hint: 'Lower sftInit.lr or check the demonstrations.', cause: e });
        }
        throw e;
      }
      if (done === undefined) {
        await policy.dispose();
        throw new StopRequested();
      }
    }
    const reference = await policy.clone({ trainable: false });
    this.models = { policy, reference, paths: { policy: 'models/reference', reference: 'models/reference' } };
    if (store) {
      await store.saveModel('models/reference', (d) => reference.save(d));
    }
    return { gameRng };
  }

  private async restore(store: CheckpointStore, update: PolicyUpdate): Promise<{ gameRng: Rng; manifest: CheckpointManifest }> {
    const manifest = store.readManifest();
    this.checkRunInfo(store, update);
    await store.cleanTemporaries();
    const policyFactory = this.container.resolve(TOKENS.PolicyFactory);
    const policy = await policyFactory.load(store.resolve(manifest.models.policy));
    const reference = await policyFactory.load(store.resolve(manifest.models.reference));
    const rm = manifest.models.rm ? await this.container.resolve(TOKENS.RewardFactory).load(store.resolve(manifest.models.rm)) : undefined;
    this.models = { policy, reference, rm, paths: { ...manifest.models } };
    return { gameRng: Rng.fromState(manifest.rng.game), manifest };
  }

  /** Refuse to continue a run that was started with settings that change the numbers. */
  private checkRunInfo(store: CheckpointStore, update: PolicyUpdate): void {
    let runInfo: Record<string, unknown>;
    try {
      runInfo = JSON.parse(fs.readFileSync(store.resolve(RUN_FILE), 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `Cannot read ${store.resolve(RUN_FILE)}.`, { hint: 'Point resume at a run directory written by apogee.', cause });
    }
    const now = this.fingerprint(update);
    const differ = Object.keys(now).filter((k) => JSON.stringify(now[k]) !== JSON.stringify(runInfo[k]));
    if (differ.length > 0) {
      throw new ApogeeError(
        ERROR_CODES.CHECKPOINT_INVALID,
        `The run in ${store.dir} was started with different settings: ${differ.map((k) => `${k} (was ${JSON.stringify(runInfo[k])}, now ${JSON.stringify(now[k])})`).join('; ')}.`,
        { hint: 'Resume with the config and plugins the run was started with (only game.rounds may grow).' },
      );
    }
  }

  /** Rebuild a round's working set from the artifacts a checkpoint names. */
  private loadRoundWork(store: CheckpointStore, manifest: CheckpointManifest, golden: GoldenAnswer[]): RoundWork {
    const a = manifest.artifacts;
    const work: RoundWork = { artifacts: { ...a } };
    if (a.samplesRm) {
      work.samplesRm = readSamples(store.resolve(a.samplesRm));
      work.apoItems = buildApoItems(work.samplesRm, golden);
    }
    if (a.samplesLlm) work.samplesLlm = readSamples(store.resolve(a.samplesLlm));
    if (a.scores && work.samplesLlm) work.scored = readScores(store.resolve(a.scores), work.samplesLlm);
    return work;
  }

  // ---------------------------------------------------------------- the loop

  private async play(resumeDir: string | undefined, signal: AbortSignal | undefined): Promise<GameResult> {
    const c = await this.components();
    const dir = resumeDir ?? this.dir;
    this.activeDir = this.options.checkpoint || resumeDir ? dir : undefined;
    const store = this.options.checkpoint || resumeDir ? new CheckpointStore(dir) : undefined;
    await this.disposeModels();

    let position: GamePosition = { round: 1, phase: null };
    let metrics: Array<Record<string, number>> = [];
    let roundMetrics: Record<string, number> = {};
    let work: RoundWork = { artifacts: {} };
    let gameRng: Rng;
    const rounds = this.config.game.rounds;

    if (resumeDir && store && store.hasCheckpoint()) {
      const restored = await this.restore(store, c.update);
      const m = restored.manifest;
      gameRng = restored.gameRng;
      position = { round: m.round, phase: m.phase };
      metrics = m.metrics;
      roundMetrics = m.roundMetrics;
      if (!isLastPhase(m.round, m.phase, c.plan)) work = this.loadRoundWork(store, m, c.golden);
      this.logger.info(`Resuming ${dir} after round ${m.round}, phase ${m.phase}.`);
      await c.callbacks.onRunStart({ rounds, seed: this.config.seed, resumedFrom: { round: m.round, phase: m.phase } });
    } else {
      if (resumeDir && store && !fs.existsSync(store.resolve('run.json'))) {
        throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${dir} is not an apogee run directory (no run.json or checkpoint.json).`, {
          hint: 'Pass the outDir of a run started with `apogee run`.',
        });
      }
      // A run killed before its first checkpoint starts over from the same seed: the same run.
      if (resumeDir) this.logger.info(`No phase of ${dir} had completed; starting it from the beginning.`);
      if (resumeDir && store) this.checkRunInfo(store, c.update);
      await c.callbacks.onRunStart({ rounds, seed: this.config.seed });
      try {
        ({ gameRng } = await this.startFresh(store, c.update, c.data, c.callbacks, signal));
      } catch (e) {
        if (!(e instanceof StopRequested)) throw e;
        this.logger.info(`Stopped before any phase completed; game.resume('${dir}') starts it again.`);
        return { rounds, metrics: [], reports: c.reports, checkpointDir: store ? dir : undefined, stopped: { reason: 'aborted', round: 1, phase: null, dir: store ? dir : undefined } };
      }
    }
    let roundOpen = false;
    try {
      for (let next = nextPhase(position, rounds, c.plan); next !== null; next = nextPhase(position, rounds, c.plan)) {
        const { round, phase } = next;
        if (!roundOpen) {
          await c.callbacks.onRoundStart({ round });
          roundOpen = true;
        }
        // Evaluation draws the same random numbers every round (common random numbers: rounds are
        // compared on equal footing, and an evaluator that caches π₀'s baseline from the first
        // round it sees gets the same baseline in a resumed run). Every other phase has its own stream.
        const rng = phase === 'eval' ? gameRng.stream('eval') : gameRng.stream(`r${round}/${phase}`);
        const phaseMetrics = await this.runPhase(round, phase, rng, c, work, store, signal).catch((e: unknown) => {
          throw this.withPlace(e, round, phase);
        });
        roundMetrics = { ...roundMetrics, ...phaseMetrics };
        const last = isLastPhase(round, phase, c.plan);
        if (last) {
          metrics = [...metrics, { round, ...roundMetrics }];
          if (store) await store.writeArtifact(`${roundDir(round)}/metrics.json`, `${JSON.stringify(metrics[metrics.length - 1], null, 2)}\n`);
        }
        if (store) {
          await store.writeManifest({
            format: 'apogee-game-checkpoint',
            version: 1,
            seed: this.config.seed,
            apo: this.apo,
            policyUpdate: c.update.name,
            rounds,
            round,
            phase,
            models: { ...this.models!.paths },
            artifacts: last ? {} : { ...work.artifacts },
            rng: rngEntry(gameRng.getState()),
            metrics,
            roundMetrics: last ? {} : roundMetrics,
          });
        }
        position = { round, phase };
        await c.callbacks.onPhaseEnd({ round, phase, metrics: phaseMetrics });
        if (last) {
          await c.callbacks.onRoundEnd({ round, metrics: metrics[metrics.length - 1] });
          roundMetrics = {};
          work = { artifacts: {} };
          roundOpen = false;
        }
      }
    } catch (e) {
      if (e instanceof StopRequested) {
        this.logger.info(
          position.phase === null
            ? `Stopped before any phase completed; game.resume('${dir}') starts it again.`
            : `Stopped; the last checkpoint (${dir}) is after round ${position.round}, phase ${position.phase}; game.resume continues from there.`,
        );
        return {
          rounds,
          metrics,
          reports: c.reports,
          models: this.finalModels(),
          checkpointDir: store ? dir : undefined,
          stopped: { reason: 'aborted', round: position.round, phase: position.phase, dir: store ? dir : undefined },
        };
      }
      throw e;
    }
    await c.callbacks.onRunEnd({ rounds, metrics });
    return { rounds, metrics, reports: c.reports, models: this.finalModels(), checkpointDir: store ? dir : undefined };
  }

  // ---------------------------------------------------------------- phases

  private async runPhase(
    round: number,
    phase: Phase,
    rng: Rng,
    c: Components,
    work: RoundWork,
    store: CheckpointStore | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, number>> {
    const models = this.models!;
    const stopIfAsked = () => {
      if (signal?.aborted) throw new StopRequested();
    };
    stopIfAsked();
    switch (phase) {
      case 'sample-rm': {
        const queries = c.data.rmQueries;
        await c.callbacks.onPhaseStart({ round, phase, total: queries.length });
        work.samplesRm = await this.sample(models.policy, queries, rng, round, phase, c, signal);
        work.apoItems = buildApoItems(work.samplesRm, c.golden);
        if (store) {
          work.artifacts.samplesRm = await store.writeArtifact(`${roundDir(round)}/samples-rm.jsonl`, formatSamples(work.samplesRm));
          work.artifacts.apoItems = await store.writeArtifact(`${roundDir(round)}/apo-items.jsonl`, formatApoItems(work.apoItems));
        }
        return { ...sampleMetrics('sample-rm', work.samplesRm), 'rm/items_apo': work.apoItems.length };
      }
      case 'train-rm': {
        const items = this.apo ? [...c.data.humanItems, ...(work.apoItems ?? [])] : [...c.data.humanItems];
        const totalSteps = Math.ceil(items.length / this.options.rm.batchSize) * this.options.rm.epochs;
        await c.callbacks.onPhaseStart({ round, phase, total: totalSteps });
        const rewardFactory = this.container.resolve(TOKENS.RewardFactory);
        const continuing = this.apo && this.config.game.rmInit === 'continue' && models.rm !== undefined;
        const rm = continuing ? models.rm! : await rewardFactory.fromPolicy(models.reference, { seed: rng.stream('init').seed() });
        const loss = this.container.resolve(TOKENS.RewardLoss);
        let done = 0;
        let trained: Record<string, number> | undefined;
        try {
          trained = await trainRewardModel(rm, items, loss, this.options.rm, rng.stream('order'), {
            shouldStop: () => signal?.aborted === true,
            onStep: async (result, total) => {
              done += 1;
              await this.reportStep(c.callbacks, round, phase, result, total);
              await c.callbacks.onProgress({ round, phase, done, total });
            },
          });
        } catch (e) {
          if (rm !== models.rm) await rm.dispose();
          throw e;
        }
        if (trained === undefined) {
          if (rm !== models.rm) await rm.dispose();
          throw new StopRequested();
        }
        if (rm !== models.rm) {
          await models.rm?.dispose();
          models.rm = rm;
        }
        if (store) models.paths.rm = await store.saveModel(this.apo ? modelDir('rm', round) : 'models/rm-base', (d) => rm.save(d));
        return {
          ...trained,
          'rm/items_human': c.data.humanItems.length,
          'rm/items_apo': this.apo ? (work.apoItems?.length ?? 0) : 0,
        };
      }
      case 'sample-llm': {
        const queries = c.data.llmQueries;
        await c.callbacks.onPhaseStart({ round, phase, total: queries.length });
        work.samplesLlm = await this.sample(models.policy, queries, rng, round, phase, c, signal);
        if (store) work.artifacts.samplesLlm = await store.writeArtifact(`${roundDir(round)}/samples-llm.jsonl`, formatSamples(work.samplesLlm));
        return sampleMetrics('sample-llm', work.samplesLlm);
      }
      case 'score': {
        const sets = work.samplesLlm ?? [];
        const flat = flattenSamples(sets);
        await c.callbacks.onPhaseStart({ round, phase, total: flat.length });
        const scores = new Float64Array(flat.length);
        const chunk = this.options.scoreBatchSize;
        for (let start = 0; start < flat.length; start += chunk) {
          stopIfAsked();
          const part = await models.rm!.score(flat.slice(start, start + chunk), { batchSize: chunk });
          scores.set(part, start);
          await c.callbacks.onProgress({ round, phase, done: Math.min(start + chunk, flat.length), total: flat.length });
        }
        work.scored = attachScores(sets, scores);
        if (store) work.artifacts.scores = await store.writeArtifact(`${roundDir(round)}/scores.json`, formatScores(work.scored));
        return scoreMetrics(work.scored);
      }
      case 'update-policy': {
        await c.callbacks.onPhaseStart({ round, phase });
        let pending: Promise<void> = Promise.resolve();
        const result = await c.update
          .update({
            round,
            policy: models.policy,
            reference: models.reference,
            queries: c.data.llmQueries,
            scored: c.plan.needsSamples ? (work.scored ?? []) : [],
            golden: c.golden,
            rng,
            signal,
            onStep: (step: TrainStepResult) => {
              this.checkFinite(round, phase, step);
              pending = pending.then(() => this.reportStep(c.callbacks, round, phase, step));
            },
          })
          .finally(() => pending);
        await pending;
        stopIfAsked();
        if (store) models.paths.policy = await store.saveModel(modelDir('policy', round), (d) => models.policy.save(d));
        const out: Record<string, number> = { 'policy/steps': result.steps };
        for (const [k, v] of Object.entries(result.metrics)) out[`policy/${k}`] = v;
        return out;
      }
      case 'eval': {
        await c.callbacks.onPhaseStart({ round, phase });
        const { metrics, report } = await c.evaluator!.evaluate({ round, policy: models.policy, reference: models.reference, reward: models.rm!, rng, signal });
        stopIfAsked();
        c.reports.push({ round, ...report });
        return metrics;
      }
    }
  }

  /** n samples per query, `generateChunk` queries per call, responses cut at the stop strings. */
  private async sample(
    policy: PolicyModel,
    queries: readonly PromptRecord[],
    rng: Rng,
    round: number,
    phase: Phase,
    c: Components,
    signal: AbortSignal | undefined,
  ): Promise<SampleSet[]> {
    const sampler = this.container.resolve(TOKENS.Sampler);
    const { samplesPerQuery: n, maxNewTokens, stop } = this.config.game;
    const out: SampleSet[] = [];
    for (let start = 0; start < queries.length; start += this.options.generateChunk) {
      if (signal?.aborted) throw new StopRequested();
      const part = queries.slice(start, start + this.options.generateChunk);
      let generations;
      try {
        generations = await policy.generate(
          part.map((q) => q.prompt),
          { sampler, rng, n, maxNewTokens, stop, signal },
        );
      } catch (e) {
        if (signal?.aborted) throw new StopRequested();
        throw e;
      }
      if (signal?.aborted) throw new StopRequested();
      part.forEach((q, i) => out.push({ queryId: q.queryId, prompt: q.prompt, samples: generations[i].map((g) => cutAtStop(g.text, stop).text) }));
      await c.callbacks.onProgress({ round, phase, done: out.length, total: queries.length });
    }
    await c.callbacks.onSamples({ round, phase, samples: out });
    return out;
  }

  /**
   * A model's own NON_FINITE error (thrown by its train step, which then leaves the weights alone)
   * gets the round and phase prepended and the checkpoint hint; other errors pass unchanged.
   */
  private withPlace(e: unknown, round: number, phase: Phase): unknown {
    if (!isApogeeError(e) || e.code !== ERROR_CODES.NON_FINITE || e.message.startsWith('The loss became')) return e;
    return new ApogeeError(ERROR_CODES.NON_FINITE, `Round ${round}, phase ${phase}: ${e.message}`, { hint: this.nonFiniteHint(), cause: e });
  }

  private nonFiniteHint(): string {
    return this.activeDir
      ? `The last good checkpoint in ${this.activeDir} is kept; lower the learning rate (or check the data) and resume it.`
      : 'Lower the learning rate or check the data.';
  }

  private checkFinite(round: number, phase: Phase, step: TrainStepResult): void {
    if (Number.isFinite(step.loss)) return;
    throw new ApogeeError(
      ERROR_CODES.NON_FINITE,
      `The loss became ${step.loss} in round ${round}, phase ${phase}, step ${step.step}.`,
      { hint: this.nonFiniteHint() },
    );
  }

  private async reportStep(callbacks: RoundCallbacks, round: number, phase: Phase, step: TrainStepResult, totalSteps?: number): Promise<void> {
    this.checkFinite(round, phase, step);
    await callbacks.onStep({
      round,
      phase,
      step: step.step,
      totalSteps,
      loss: step.loss,
      lr: step.lr,
      gradNorm: step.gradNorm,
      metrics: step.metrics,
    });
  }
}
