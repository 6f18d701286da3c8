import { formatScores } from '../artifacts';
import { roundDir } from '../checkpoint';
import { attachFlatScores, flattenSamples, type SampleSet } from '@apogee/core';
import { scoreMetrics } from '../items';
import { GAME_TASKS, publishModel, scoreShard, shardRanges, type GameJobs, type ScoreShard } from '../jobs';
import { progressUnits, runShards, stopIfAsked, type PhaseContext, type PhaseRunner } from './phase-runner';

/** The round's RM scores of every sample, sharded by the same `jobSize` query ranges as sampling. */
async function scoreOnJobs(ctx: PhaseContext, jobs: GameJobs, sets: readonly SampleSet[]): Promise<Float64Array> {
  const { parts, play } = ctx;
  const batchSize = parts.options.scoreBatchSize;
  const shards: ScoreShard[] = shardRanges(sets.length, jobs.jobSize).map(([a, b]) => ({ rows: flattenSamples(sets.slice(a, b)), batchSize }));
  const rm = play.models.rm!;
  const rmDir = play.store && play.models.paths.rm ? play.store.resolve(play.models.paths.rm) : undefined;
  const scored = await runShards(ctx, jobs, shards, (shard) => scoreShard(rm, shard), {
    task: GAME_TASKS.score,
    publish: async () => ({ rm: await publishModel(jobs, rmDir, (d) => rm.save(d)) }),
  });
  return Float64Array.from(scored.flat(), (v) => (v === null ? NaN : v));
}

/** `score`: the round's RM scores every LLM-query sample, `scoreBatchSize` rows per call. */
export const score: PhaseRunner = async (ctx) => {
  const { round, phase, parts, play, work } = ctx;
  const sets = work.samplesLlm ?? [];
  const flat = flattenSamples(sets);
  await play.callbacks.onPhaseStart({ round, phase, total: parts.jobs ? progressUnits(parts, sets.length) : flat.length });
  let scores: Float64Array;
  if (parts.jobs) {
    scores = await scoreOnJobs(ctx, parts.jobs, sets);
  } else {
    scores = new Float64Array(flat.length);
    const chunk = parts.options.scoreBatchSize;
    for (let start = 0; start < flat.length; start += chunk) {
      stopIfAsked(play.signal);
      const part = await play.models.rm!.score(flat.slice(start, start + chunk), { batchSize: chunk });
      scores.set(part, start);
      await play.callbacks.onProgress({ round, phase, done: Math.min(start + chunk, flat.length), total: flat.length });
    }
  }
  work.scored = attachFlatScores(sets, scores);
  if (play.store) work.artifacts.scores = await play.store.writeArtifact(`${roundDir(round)}/scores.json`, formatScores(work.scored));
  return scoreMetrics(work.scored);
};
