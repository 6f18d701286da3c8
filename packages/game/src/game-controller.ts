import * as path from 'node:path';
import { inject, injectAll, injectable } from 'tsyringe';
import {
  ApogeeError,
  ERROR_CODES,
  RoundCallbacks,
  isApogeeError,
  TOKENS,
  type ApogeeConfig,
  type Evaluator,
  type GameController,
  type GameDataSource,
  type GameResult,
  type Logger,
  type Phase,
  type PolicyFactory,
  type PolicyModel,
  type PolicyUpdate,
  type RewardFactory,
  type RewardLoss,
  type RewardModel,
  type Rng,
  type RoundCallback,
  type RoundReport,
  type Sampler,
  type SftLoss,
  type Tokenizer,
} from '@apogee/core';
import { CheckpointStore, roundDir, type RunInfo } from './checkpoint';
import { checkGameData, loadReports, loadRoundWork, restore, startFresh } from './game-start';
import { prepareGolden } from './items';
import { GAME_OPTIONS, gameApo, type GameOptions } from './options';
import { nonFiniteHint, PHASE_RUNNERS, StopRequested, type GameModelState, type GameParts, type GamePlay, type RoundWork } from './phase-runners';
import { isLastPhase, nextPhase, type GamePosition } from './phases';

/**
 * The RM–LLM game of Adversarial Preference Optimization (Cheng et al. 2024, §3–§4; docs/concepts/apo.md §4),
 * one phase at a time, with a checkpoint after every phase:
 * 1. `sample-rm`: n samples per RM query from π_t, cut at the stop strings (APO only);
 * 2. `train-rm`: RM_t on human items + golden ≻ sample items with `TOKENS.RewardLoss`, from the
 *    base model or the last RM (`game.rmInit`); the baseline trains RM_Base once, on human items;
 * 3. `sample-llm`: n samples per LLM query from π_t; 4. `score`: score them with RM_t;
 * 5. `update-policy`: `TOKENS.PolicyUpdate` → π_{t+1}; 6. `eval`: `TOKENS.Evaluator`, when registered.
 * The controller is given its parts (constructor injection) and runs the loop around `nextPhase`;
 * each phase is a `PhaseRunner` (`phase-runners/`), and `CheckpointStore` owns the checkpoint format.
 * Every phase draws randomness from its own stream (`r<round>/<phase>` of the game's RNG), so a
 * run resumed from any checkpoint replays exactly what the uninterrupted run would have done.
 */
@injectable()
export class ApoGameController implements GameController {
  private models?: GameModelState;
  private readonly parts: GameParts;

  constructor(
    @inject(GAME_OPTIONS) private readonly options: GameOptions,
    @inject(TOKENS.Config) private readonly config: ApogeeConfig,
    @inject(TOKENS.Rng) private readonly rootRng: Rng,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.PolicyFactory) private readonly policyFactory: PolicyFactory,
    @inject(TOKENS.RewardFactory) rewardFactory: RewardFactory,
    @inject(TOKENS.Sampler) sampler: Sampler,
    @inject(TOKENS.RewardLoss) rewardLoss: RewardLoss,
    @inject(TOKENS.PolicyUpdate) update: PolicyUpdate,
    @inject(TOKENS.GameDataSource) private readonly dataSource: GameDataSource,
    @inject(TOKENS.Tokenizer, { isOptional: true }) private readonly tokenizer: Tokenizer | undefined,
    @inject(TOKENS.SftLoss, { isOptional: true }) private readonly sftLoss: SftLoss | undefined,
    @inject(TOKENS.Evaluator, { isOptional: true }) evaluator: Evaluator | undefined,
    @injectAll(TOKENS.RoundCallback, { isOptional: true }) private readonly callbacks: RoundCallback[],
  ) {
    const apo = gameApo(config.game.apo, options.apo);
    this.parts = { options, config, apo, sampler, rewardFactory, rewardLoss, update, evaluator };
  }

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
    return this.parts.apo;
  }

  /** The directory checkpoints go to: `options.dir`, or `<config.outDir>/checkpoints`. */
  get dir(): string {
    return this.options.dir ?? path.join(this.config.outDir, 'checkpoints');
  }

  /** `resume` accepts the checkpoint directory itself or the run directory holding `checkpoints/`. */
  static checkpointDirOf(dir: string): string {
    return CheckpointStore.locate(dir);
  }

  run(options: { signal?: AbortSignal } = {}): Promise<GameResult> {
    return this.play(undefined, options.signal);
  }

  resume(dir: string, options: { signal?: AbortSignal } = {}): Promise<GameResult> {
    return this.play(CheckpointStore.locate(dir), options.signal);
  }

  async dispose(): Promise<void> {
    const m = this.models;
    this.models = undefined;
    if (!m) return;
    await m.rm?.dispose();
    await m.reference.dispose();
    await m.policy.dispose();
  }

  /** What a resumed run must agree on with the original: anything that changes the numbers. */
  private fingerprint(): RunInfo {
    const { rounds: _rounds, apo: _apo, ...game } = this.config.game; // `apo` (below) is what the game plays
    const { apo, update, options } = this.parts;
    return { seed: this.config.seed, apo, policyUpdate: update.name, game, rm: options.rm, sftInit: options.sftInit, policyDir: options.policyDir ?? null };
  }

  // ---------------------------------------------------------------- the loop

  private async play(resumeDir: string | undefined, signal: AbortSignal | undefined): Promise<GameResult> {
    const { update, evaluator } = this.parts;
    const data = await this.dataSource.load();
    const plan = { apo: this.apo, needsSamples: update.needsSamples, evaluate: evaluator !== undefined };
    checkGameData(data, plan, update.name);
    const golden = prepareGolden(data.golden, data.rmQueries, this.config.game.stop);
    const callbacks = new RoundCallbacks(this.callbacks);
    const dir = resumeDir ?? this.dir;
    const store = this.options.checkpoint || resumeDir ? new CheckpointStore(dir) : undefined;
    const rounds = this.config.game.rounds;
    await this.dispose();

    let position: GamePosition = { round: 1, phase: null };
    let metrics: Array<Record<string, number>> = [];
    let roundMetrics: Record<string, number> = {};
    let reports: RoundReport[] = [];
    let work: RoundWork = { artifacts: {} };
    let gameRng = this.rootRng.stream('game');
    if (resumeDir && store?.hasCheckpoint()) {
      const restored = await restore(store, this.fingerprint(), this.policyFactory, this.parts.rewardFactory);
      const m = restored.manifest;
      ({ gameRng, models: this.models } = restored);
      position = { round: m.round, phase: m.phase };
      ({ metrics, roundMetrics } = m);
      reports = loadReports(store, metrics.map((r, i) => r.round ?? i + 1));
      if (!isLastPhase(m.round, m.phase, plan)) work = loadRoundWork(store, m, golden);
      this.logger.info(`Resuming ${dir} after round ${m.round}, phase ${m.phase}.`);
      await callbacks.onRunStart({ rounds, seed: this.config.seed, resumedFrom: { round: m.round, phase: m.phase } });
    } else {
      if (resumeDir && !store?.hasRunInfo()) {
        throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `${dir} is not an apogee run directory (no run.json or checkpoint.json).`, {
          hint: 'Pass the outDir of a run started with `apogee run`.',
        });
      }
      // A run killed before its first checkpoint starts over from the same seed: the same run.
      if (resumeDir) this.logger.info(`No phase of ${dir} had completed; starting it from the beginning.`);
      if (resumeDir) store!.assertSameRun(this.fingerprint());
      await callbacks.onRunStart({ rounds, seed: this.config.seed });
      try {
        const runInfo = { ...this.fingerprint(), rounds, plugins: this.config.plugins };
        this.models = await startFresh({ options: this.options, store, runInfo, data, callbacks, sftLoss: this.sftLoss, tokenizer: this.tokenizer, policyFactory: this.policyFactory, gameRng, signal });
      } catch (e) {
        if (!(e instanceof StopRequested)) throw e;
        return this.stopped(store, { rounds, metrics, reports: [] }, position);
      }
    }
    const play: GamePlay = { data, golden, plan, callbacks, models: this.models!, store, signal, reports };
    let roundOpen = false;
    try {
      for (let next = nextPhase(position, rounds, plan); next !== null; next = nextPhase(position, rounds, plan)) {
        const { round, phase } = next;
        if (!roundOpen) await callbacks.onRoundStart({ round });
        roundOpen = true;
        // Evaluation draws the same random numbers every round (common random numbers: rounds are
        // compared on equal footing, and an evaluator that caches π₀'s baseline from the first
        // round it sees gets the same baseline in a resumed run). Every other phase has its own stream.
        const rng = phase === 'eval' ? gameRng.stream('eval') : gameRng.stream(`r${round}/${phase}`);
        if (signal?.aborted) throw new StopRequested();
        const phaseMetrics = await PHASE_RUNNERS[phase]({ round, phase, rng, parts: this.parts, play, work }).catch((e: unknown) => {
          throw this.withPlace(e, round, phase, store);
        });
        roundMetrics = { ...roundMetrics, ...phaseMetrics };
        const last = isLastPhase(round, phase, plan);
        if (last) metrics = [...metrics, { round, ...roundMetrics }];
        if (last && store) await store.writeArtifact(`${roundDir(round)}/metrics.json`, `${JSON.stringify(metrics[metrics.length - 1], null, 2)}\n`);
        await store?.commit({
          seed: this.config.seed,
          apo: this.apo,
          policyUpdate: update.name,
          rounds,
          round,
          phase,
          models: { ...play.models.paths },
          artifacts: last ? {} : { ...work.artifacts },
          rng: gameRng,
          metrics,
          roundMetrics: last ? {} : roundMetrics,
        });
        position = { round, phase };
        await callbacks.onPhaseEnd({ round, phase, metrics: phaseMetrics });
        if (!last) continue;
        await callbacks.onRoundEnd({ round, metrics: metrics[metrics.length - 1] });
        roundMetrics = {};
        work = { artifacts: {} };
        roundOpen = false;
      }
    } catch (e) {
      if (e instanceof StopRequested) return this.stopped(store, { rounds, metrics, reports: play.reports }, position);
      throw e;
    }
    await callbacks.onRunEnd({ rounds, metrics });
    return { rounds, metrics, reports: play.reports, models: this.finalModels(), checkpointDir: store?.dir };
  }

  /** The result of a run stopped on request: the last complete checkpoint, where `resume` continues. */
  private stopped(store: CheckpointStore | undefined, done: Pick<GameResult, 'rounds' | 'metrics' | 'reports'>, at: GamePosition): GameResult {
    const dir = store?.dir ?? this.dir;
    this.logger.info(
      at.phase === null
        ? `Stopped before any phase completed; game.resume('${dir}') starts it again.`
        : `Stopped; the last checkpoint (${dir}) is after round ${at.round}, phase ${at.phase}; game.resume continues from there.`,
    );
    return { ...done, models: this.finalModels(), checkpointDir: store?.dir, stopped: { reason: 'aborted', round: at.round, phase: at.phase, dir: store?.dir } };
  }

  private finalModels(): GameResult['models'] {
    const m = this.models;
    return m && { policy: m.policy, reference: m.reference, reward: m.rm, apo: this.apo };
  }

  /**
   * A model's own NON_FINITE error (thrown by its train step, which then leaves the weights alone)
   * gets the round and phase prepended and the checkpoint hint; other errors pass unchanged.
   */
  private withPlace(e: unknown, round: number, phase: Phase, store: CheckpointStore | undefined): unknown {
    if (!isApogeeError(e) || e.code !== ERROR_CODES.NON_FINITE || e.message.startsWith('The loss became')) return e;
    return new ApogeeError(ERROR_CODES.NON_FINITE, `Round ${round}, phase ${phase}: ${e.message}`, { hint: nonFiniteHint(store), cause: e });
  }
}
