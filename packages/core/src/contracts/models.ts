import type { Tensor1D } from '@tensorflow/tfjs-core';
import type { Disposable } from '../disposable';
import type { PromptResponse } from './records';
import type { GenerateOptions, Generation } from './sampler';
import type { Tokenizer } from './tokenizer';
import type { LossOutput, OptimizerConfig, SequenceLogProbs, TrainStepResult } from './training';

/** Non-differentiable per-response log-probs. */
export interface ResponseLogProbs {
  /** Sum of response-token log-probs, one per input. */
  sum: Float32Array;
  /** Number of response tokens (EOS included), one per input. */
  count: Int32Array;
}

/** What the loss function of a policy train step may call; everything it returns is differentiable. */
export interface PolicyForward {
  responseLogProbs(batch: readonly PromptResponse[]): SequenceLogProbs;
}

/** What the loss function of a reward train step may call. */
export interface RewardForward {
  /** One scalar reward per prompt+response, differentiable. */
  rewards(batch: readonly PromptResponse[]): Tensor1D;
}

/**
 * A causal language model the game can sample from and train. `@apogee/policy` implements it
 * with a GPT-2-family transformer.
 */
export interface PolicyModel extends Disposable {
  readonly tokenizer: Tokenizer;
  /** Per-response log-probs of `response` given `prompt` (prompt and padding masked). */
  logProbs(batch: readonly PromptResponse[], options?: { batchSize?: number }): Promise<ResponseLogProbs>;
  /** `n` samples for every prompt: `result[i][k]` is sample k of prompt i. */
  generate(prompts: readonly string[], options: GenerateOptions): Promise<Generation[][]>;
  /** Replace the optimizer and its schedule (resets its state). */
  setOptimizer(config: OptimizerConfig): void;
  /** One optimizer step on the loss the function computes (clipping, AdamW, schedule). */
  trainStep(loss: (forward: PolicyForward) => LossOutput): Promise<TrainStepResult>;
  /** An independent copy; `trainable: false` gives a frozen reference model. */
  clone(options?: { trainable?: boolean }): Promise<PolicyModel>;
  /** Write `config.json`, `model.safetensors`, tokenizer and optimizer state into `dir`, atomically. */
  save(dir: string): Promise<void>;
}

/** Scores prompt+response pairs with a scalar. `@apogee/reward` implements it. */
export interface RewardModel extends Disposable {
  readonly tokenizer: Tokenizer;
  score(batch: readonly PromptResponse[], options?: { batchSize?: number }): Promise<Float32Array>;
  setOptimizer(config: OptimizerConfig): void;
  trainStep(loss: (forward: RewardForward) => LossOutput): Promise<TrainStepResult>;
  clone(): Promise<RewardModel>;
  save(dir: string): Promise<void>;
}

/** Anything that can judge responses with a number, e.g. a world's gold reward or a testing RM. */
export interface Judge {
  readonly name: string;
  score(batch: readonly PromptResponse[]): Promise<Float32Array>;
}

/** Creates and loads policies. */
export interface PolicyFactory {
  /** A freshly initialised model (weights from the run's `init` RNG stream). */
  create(options: { tokenizer: Tokenizer; seed: number }): Promise<PolicyModel>;
  /** Load from a directory written by `save` (or a Hugging Face GPT-2 checkpoint directory). */
  load(dir: string): Promise<PolicyModel>;
}

/** Creates and loads reward models. */
export interface RewardFactory {
  /** A reward model whose backbone is a copy of the policy's and whose head is freshly initialised. */
  fromPolicy(policy: PolicyModel, options: { seed: number }): Promise<RewardModel>;
  load(dir: string): Promise<RewardModel>;
}
