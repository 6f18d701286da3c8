import type { Evaluator, GameController, GameDataSource, PolicyUpdate } from './contracts/game';
import type { RoundCallback } from './contracts/events';
import type { Logger } from './contracts/logger';
import type {
  PairwisePolicyLoss,
  RankingPolicyLoss,
  RewardLoss,
  SftLoss,
} from './contracts/losses';
import type { Judge, PolicyFactory, RewardFactory } from './contracts/models';
import type { Sampler } from './contracts/sampler';
import type { Tokenizer } from './contracts/tokenizer';
import type { ApogeeConfig } from './config';
import type { KnownPlugin } from './known-plugins';
import type { Rng } from './rng';
import { token } from './tokens';

const CORE = '@apogee/core';

/**
 * Every token the core contracts define. Plugins register providers under them; the game and
 * the CLI resolve them. Plugin-specific option tokens live in their own packages.
 */
export const TOKENS = {
  /** The validated run config. Registered by `createRun`. */
  Config: token<ApogeeConfig>(CORE, 'Config'),
  /** The run's root RNG; ask it for named streams. Registered by `createRun`. */
  Rng: token<Rng>(CORE, 'Rng'),
  Logger: token<Logger>(CORE, 'Logger'),
  Tokenizer: token<Tokenizer>(CORE, 'Tokenizer'),
  PolicyFactory: token<PolicyFactory>(CORE, 'PolicyFactory'),
  RewardFactory: token<RewardFactory>(CORE, 'RewardFactory'),
  /** Sampler for training samples (reference: temperature 1.2, top-p 1.0). */
  Sampler: token<Sampler>(CORE, 'Sampler'),
  /** Sampler for test generation (reference: temperature 0.3, top-k 5, top-p 0.85, rep. penalty 1.05). */
  EvalSampler: token<Sampler>(CORE, 'EvalSampler'),
  RewardLoss: token<RewardLoss>(CORE, 'RewardLoss'),
  SftLoss: token<SftLoss>(CORE, 'SftLoss'),
  PairwisePolicyLoss: token<PairwisePolicyLoss>(CORE, 'PairwisePolicyLoss'),
  RankingPolicyLoss: token<RankingPolicyLoss>(CORE, 'RankingPolicyLoss'),
  PolicyUpdate: token<PolicyUpdate>(CORE, 'PolicyUpdate'),
  GameDataSource: token<GameDataSource>(CORE, 'GameDataSource'),
  GameController: token<GameController>(CORE, 'GameController'),
  Evaluator: token<Evaluator>(CORE, 'Evaluator'),
  /** The gold / testing judge used by evaluation (a world's gold reward, or a testing RM). */
  Judge: token<Judge>(CORE, 'Judge'),
  /** Multi-bound: every registration receives every event. */
  RoundCallback: token<RoundCallback>(CORE, 'RoundCallback'),
  /**
   * Plugins a user could add, each with the tokens it provides: a missing-provider error names
   * those that provide the missing token. Registered by `createRun` (its `known` option; the CLI
   * passes its built-in plugins).
   */
  KnownPlugins: token<readonly KnownPlugin[]>(CORE, 'KnownPlugins'),
} as const;
