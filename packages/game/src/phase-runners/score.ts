import { formatScores } from '../artifacts';
import { roundDir } from '../checkpoint';
import { attachFlatScores, flattenSamples } from '@apogee/core';
import { scoreMetrics } from '../items';
import { stopIfAsked, type PhaseRunner } from './phase-runner';

/** `score`: the round's RM scores every LLM-query sample, `scoreBatchSize` rows per call. */
export const score: PhaseRunner = async ({ round, phase, parts, play, work }) => {
  const sets = work.samplesLlm ?? [];
  const flat = flattenSamples(sets);
  await play.callbacks.onPhaseStart({ round, phase, total: flat.length });
  const scores = new Float64Array(flat.length);
  const chunk = parts.options.scoreBatchSize;
  for (let start = 0; start < flat.length; start += chunk) {
    stopIfAsked(play.signal);
    const part = await play.models.rm!.score(flat.slice(start, start + chunk), { batchSize: chunk });
    scores.set(part, start);
    await play.callbacks.onProgress({ round, phase, done: Math.min(start + chunk, flat.length), total: flat.length });
  }
  work.scored = attachFlatScores(sets, scores);
  if (play.store) work.artifacts.scores = await play.store.writeArtifact(`${roundDir(round)}/scores.json`, formatScores(work.scored));
  return scoreMetrics(work.scored);
};
