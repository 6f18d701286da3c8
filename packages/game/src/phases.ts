import { ApogeeError, ERROR_CODES, PHASES, type Phase } from '@apogee/core';

/** What decides which phases of a round run. */
export interface RoundPlanInput {
  /** APO (RM retrained every round on golden-vs-sample items) or baseline (RM_Base once). */
  apo: boolean;
  /** Whether the policy update needs scored samples of the LLM queries. */
  needsSamples: boolean;
  /** Whether an evaluator is registered. */
  evaluate: boolean;
}

/**
 * The phases round `round` runs, in order (docs/concepts/apo.md §4):
 * - `sample-rm`: APO only (the baseline never looks at the policy's RM-query samples);
 * - `train-rm`: every round with APO; only round 1 for the baseline (RM_Base is trained once);
 * - `sample-llm`, `score`: when the policy update needs scored samples (not golden SFT);
 * - `update-policy`: always;
 * - `eval`: when an evaluator is registered.
 * A pure function of its inputs, so a resumed run plans exactly what the original run planned.
 */
export function phasesFor(round: number, plan: RoundPlanInput): Phase[] {
  return PHASES.filter((phase) => {
    switch (phase) {
      case 'sample-rm':
        return plan.apo;
      case 'train-rm':
        return plan.apo || round === 1;
      case 'sample-llm':
      case 'score':
        return plan.needsSamples;
      case 'update-policy':
        return true;
      case 'eval':
        return plan.evaluate;
    }
  });
}

/** A position in the game: the last phase completed in `round` (`null`: none of it yet). */
export interface GamePosition {
  round: number;
  phase: Phase | null;
}

/**
 * The next phase to run after `position`, or `null` when all `rounds` are done. A position whose
 * phase is the round's last moves on to the first phase of the next round.
 */
export function nextPhase(position: GamePosition, rounds: number, plan: RoundPlanInput): { round: number; phase: Phase } | null {
  let { round } = position;
  let phases = phasesFor(round, plan);
  let index = position.phase === null ? 0 : phases.indexOf(position.phase) + 1;
  if (position.phase !== null && index === 0) {
    throw new ApogeeError(
      ERROR_CODES.CHECKPOINT_INVALID,
      `The checkpoint says phase "${position.phase}" of round ${round} finished, but this game does not run that phase (apo=${plan.apo}, needsSamples=${plan.needsSamples}, evaluate=${plan.evaluate}).`,
      { hint: 'Resume with the same plugins and options the run was started with.' },
    );
  }
  while (index >= phases.length) {
    round += 1;
    if (round > rounds) return null;
    phases = phasesFor(round, plan);
    index = 0;
  }
  return { round, phase: phases[index] };
}

/** Whether `phase` is the last phase of `round`. */
export function isLastPhase(round: number, phase: Phase, plan: RoundPlanInput): boolean {
  const phases = phasesFor(round, plan);
  return phases[phases.length - 1] === phase;
}
