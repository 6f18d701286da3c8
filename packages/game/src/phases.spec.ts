import { PHASES, type Phase } from '@apogee/core';
import { isLastPhase, nextPhase, phasesFor, type GamePosition, type RoundPlanInput } from './phases';

const APO: RoundPlanInput = { apo: true, needsSamples: true, evaluate: true };
const BASELINE: RoundPlanInput = { apo: false, needsSamples: true, evaluate: true };
const GOLDEN: RoundPlanInput = { apo: false, needsSamples: false, evaluate: false };

/** Every (round, phase) a game visits, by walking nextPhase from the start. */
function walk(rounds: number, plan: RoundPlanInput): string[] {
  const out: string[] = [];
  let pos: GamePosition = { round: 1, phase: null };
  for (let next = nextPhase(pos, rounds, plan); next; next = nextPhase(pos, rounds, plan)) {
    out.push(`${next.round}:${next.phase}`);
    pos = next;
  }
  return out;
}

describe('round plan', () => {
  it('APO runs every phase of every round, in the paper order', () => {
    expect(phasesFor(1, APO)).toEqual([...PHASES]);
    expect(phasesFor(3, APO)).toEqual([...PHASES]);
  });

  it('the baseline trains RM_Base in round 1 only and never samples RM queries', () => {
    expect(phasesFor(1, BASELINE)).toEqual(['train-rm', 'sample-llm', 'score', 'update-policy', 'eval']);
    expect(phasesFor(2, BASELINE)).toEqual(['sample-llm', 'score', 'update-policy', 'eval']);
  });

  it('golden SFT without an evaluator only updates the policy after round 1', () => {
    expect(phasesFor(1, GOLDEN)).toEqual(['train-rm', 'update-policy']);
    expect(phasesFor(2, GOLDEN)).toEqual(['update-policy']);
  });

  it('walks a 2-round APO game phase by phase', () => {
    expect(walk(2, APO)).toEqual([...PHASES.map((p) => `1:${p}`), ...PHASES.map((p) => `2:${p}`)]);
    expect(walk(3, GOLDEN)).toEqual(['1:train-rm', '1:update-policy', '2:update-policy', '3:update-policy']);
  });

  it('resuming from any position continues exactly where the uninterrupted walk would', () => {
    for (const plan of [APO, BASELINE, GOLDEN]) {
      const full = walk(3, plan);
      full.forEach((step, i) => {
        const [round, phase] = step.split(':');
        const rest: string[] = [];
        let pos: GamePosition = { round: Number(round), phase: phase as Phase };
        for (let next = nextPhase(pos, 3, plan); next; next = nextPhase(pos, 3, plan)) {
          rest.push(`${next.round}:${next.phase}`);
          pos = next;
        }
        expect(rest).toEqual(full.slice(i + 1));
      });
    }
  });

  it('knows the last phase of a round and ends after the last round', () => {
    expect(isLastPhase(1, 'eval', APO)).toBe(true);
    expect(isLastPhase(1, 'update-policy', APO)).toBe(false);
    expect(isLastPhase(2, 'update-policy', GOLDEN)).toBe(true);
    expect(nextPhase({ round: 2, phase: 'eval' }, 2, APO)).toBeNull();
    expect(nextPhase({ round: 2, phase: 'eval' }, 3, APO)).toEqual({ round: 3, phase: 'sample-rm' });
  });

  it('refuses a checkpoint position this game would never reach', () => {
    expect(() => nextPhase({ round: 2, phase: 'sample-rm' }, 3, BASELINE)).toThrow(
      expect.objectContaining({ code: 'APOGEE_CHECKPOINT_INVALID' }),
    );
  });
});
