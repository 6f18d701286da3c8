import type { PolicyModel, Tokenizer } from '@apogee/core';
import type { CausalLm } from './causal-lm';

/**
 * The capability a reward model builds on: a policy that can lend its transformer and tokenizer.
 * Keyed by a `Symbol.for` name, so it is found across two installed copies of this package (where
 * `instanceof` would fail), and any third-party policy can offer it.
 */
export const CAUSAL_LM_BACKBONE = Symbol.for('@apogee/policy:causal-lm-backbone');

/** What a policy with the capability lends: the backbone (to be copied, not trained in place) and its tokenizer. */
export interface CausalLmBackbone {
  model: CausalLm;
  tokenizer: Tokenizer;
}

/** A policy offering `CAUSAL_LM_BACKBONE`. */
export interface CausalLmBackboneSource {
  [CAUSAL_LM_BACKBONE](): CausalLmBackbone;
}

/** The backbone `policy` lends, or undefined when it does not offer the capability. */
export function causalLmBackboneOf(policy: PolicyModel | object): CausalLmBackbone | undefined {
  const lend = (policy as Partial<CausalLmBackboneSource>)[CAUSAL_LM_BACKBONE];
  return typeof lend === 'function' ? lend.call(policy) : undefined;
}
