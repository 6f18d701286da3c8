import type { Scalar, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';

/** What a loss function returns inside a train step. Tensors are disposed by the caller. */
export interface LossOutput {
  loss: Scalar;
  /** Extra scalars to report (e.g. DPO reward margin, RM pair accuracy). */
  metrics?: Record<string, Scalar>;
}

/** Numbers a train step reports after the update. */
export interface TrainStepResult {
  /** 1-based count of optimizer steps taken so far. */
  step: number;
  loss: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Learning rate used for this step. */
  lr: number;
  metrics: Record<string, number>;
}

/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2; Adam's
 * moments from Kingma & Ba 2015, Algorithm 1) with warm-up and decay; the schedule applied per
 * optimizer step. Defaults are those of the implementation (`@apogee/model-kit`'s `AdamWOptimizer`).
 */
export interface OptimizerConfig {
  /** Peak learning rate α (Kingma & Ba 2015, Alg. 1). */
  lr: number;
  /** Decoupled weight decay λ (Loshchilov & Hutter 2019, Alg. 2 line 12). Default 0. */
  weightDecay?: number;
  /** Decay of the first-moment estimate β₁ (Kingma & Ba 2015, Alg. 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment estimate β₂ (Kingma & Ba 2015, Alg. 1). Default 0.999. */
  beta2?: number;
  /** ε added to √v̂ in the update denominator (Kingma & Ba 2015, Alg. 1). Default 1e-8. */
  epsilon?: number;
  /** Clip the global gradient norm to this value (Pascanu et al. 2013, "On the difficulty of training RNNs", §3.2); 0 or undefined disables. Default 1.0. */
  gradClip?: number;
  /** Linear warm-up steps from 0 to `lr`. */
  warmupSteps?: number;
  /** Total steps of the schedule (needed for decay). */
  totalSteps?: number;
  /** Decay after warm-up: `linear` (default, the APO reference), `cosine` (Loshchilov & Hutter 2017, SGDR eq. 5, no restarts) or `constant`. */
  schedule?: 'constant' | 'linear' | 'cosine';
  /** Floor of the decayed rate as a fraction of `lr`. Default 0. */
  minLrRatio?: number;
}

/** Differentiable per-token log-probs of responses; prompt and padding positions are masked. */
export interface SequenceLogProbs {
  /** [batch, T] log p(token_t | prefix) at response positions, 0 elsewhere. */
  tokenLogProbs: Tensor2D;
  /** [batch, T] 1 at response positions (EOS included), 0 at prompt and padding. */
  mask: Tensor2D;
  /** [batch] sum of response token log-probs. */
  sum: Tensor1D;
  /** [batch] number of response tokens. */
  count: Tensor1D;
}
