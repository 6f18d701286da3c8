import type { Phase } from '@apogee/core';
import { evaluate } from './evaluate';
import type { PhaseRunner } from './phase-runner';
import { sampleLlm } from './sample-llm';
import { sampleRm } from './sample-rm';
import { score } from './score';
import { trainRm } from './train-rm';
import { updatePolicy } from './update-policy';

/** The runner of each phase (docs/concepts/apo.md §4), keyed by phase as tfjs keys its kernel configs. */
export const PHASE_RUNNERS: Readonly<Record<Phase, PhaseRunner>> = {
  'sample-rm': sampleRm,
  'train-rm': trainRm,
  'sample-llm': sampleLlm,
  score,
  'update-policy': updatePolicy,
  eval: evaluate,
};

export * from './phase-runner';
