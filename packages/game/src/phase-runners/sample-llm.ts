import { formatSamples } from '../artifacts';
import { roundDir } from '../checkpoint';
import { sampleMetrics } from '../items';
import { progressUnits, samplePolicy, type PhaseRunner } from './phase-runner';

/** `sample-llm`: n samples per LLM query from π_t. */
export const sampleLlm: PhaseRunner = async (ctx) => {
  const { round, phase, play, work } = ctx;
  const queries = play.data.llmQueries;
  await play.callbacks.onPhaseStart({ round, phase, total: progressUnits(ctx.parts, queries.length) });
  work.samplesLlm = await samplePolicy(ctx, queries);
  if (play.store) work.artifacts.samplesLlm = await play.store.writeArtifact(`${roundDir(round)}/samples-llm.jsonl`, formatSamples(work.samplesLlm));
  return sampleMetrics('sample-llm', work.samplesLlm);
};
