import { formatApoItems, formatSamples } from '../artifacts';
import { roundDir } from '../checkpoint';
import { buildApoItems, countGoldenMatches } from '@apogee/core';
import { sampleMetrics } from '../items';
import { progressUnits, samplePolicy, type PhaseRunner } from './phase-runner';

/** `sample-rm` (APO): n samples per RM query from π_t, and the golden ≻ sample items they make. */
export const sampleRm: PhaseRunner = async (ctx) => {
  const { round, phase, play, work } = ctx;
  const queries = play.data.rmQueries;
  await play.callbacks.onPhaseStart({ round, phase, total: progressUnits(ctx.parts, queries.length) });
  work.samplesRm = await samplePolicy(ctx, queries);
  work.apoItems = buildApoItems(work.samplesRm, play.golden);
  if (play.store) {
    work.artifacts.samplesRm = await play.store.writeArtifact(`${roundDir(round)}/samples-rm.jsonl`, formatSamples(work.samplesRm));
    work.artifacts.apoItems = await play.store.writeArtifact(`${roundDir(round)}/apo-items.jsonl`, formatApoItems(work.apoItems));
  }
  return { ...sampleMetrics('sample-rm', work.samplesRm), 'rm/items_apo': work.apoItems.length, 'rm/items_apo_dropped': countGoldenMatches(work.samplesRm, play.golden) };
};
