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
} as const;

/**
 * For each core token, the plugin that usually provides it: used by the pre-run check to tell
 * the user what to add to `plugins`.
 */
export const TOKEN_PROVIDERS: Readonly<Record<symbol, string>> = {
  [TOKENS.Logger]: 'createRun (registered by default)',
  [TOKENS.Tokenizer]: '@apogee/tokenizers (byteTokenizer or hfTokenizer)',
  [TOKENS.PolicyFactory]: '@apogee/policy (gptPolicy)',
  [TOKENS.RewardFactory]: '@apogee/reward (gptReward)',
  [TOKENS.Sampler]: '@apogee/samplers (sampler)',
  [TOKENS.EvalSampler]: '@apogee/samplers (sampler)',
  [TOKENS.RewardLoss]: '@apogee/losses (apoRewardLoss or rankingLoss)',
  [TOKENS.SftLoss]: '@apogee/losses (sftLoss)',
  [TOKENS.PairwisePolicyLoss]: '@apogee/losses (dpoLoss)',
  [TOKENS.RankingPolicyLoss]: '@apogee/losses (rrhfLoss)',
  [TOKENS.PolicyUpdate]: 'a variant package, e.g. @apogee/variant-rjs-apo',
  [TOKENS.GameDataSource]: '@apogee/data (fileDataSource) or @apogee/world (worldDataSource)',
  [TOKENS.GameController]: '@apogee/game (apoGame)',
  [TOKENS.Evaluator]: '@apogee/eval (evaluator)',
  [TOKENS.Judge]: '@apogee/world (goldJudge) or @apogee/eval (rewardModelJudge)',
};
