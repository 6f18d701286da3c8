import { minibatchSteps } from '@apogee/core';
import { modelDir } from '../checkpoint';
import { trainRewardModel } from '../rm-trainer';
import { reportStep, StopRequested, type PhaseRunner } from './phase-runner';

/**
 * `train-rm`: RM_t on the human items (+ this round's golden ≻ sample items with APO) with the
 * reward loss, from the base model or the last RM (`game.rmInit`); the baseline trains RM_Base once.
 */
export const trainRm: PhaseRunner = async (ctx) => {
  const { round, phase, rng, parts, play, work } = ctx;
  const { models, callbacks, data } = play;
  const items = parts.apo ? [...data.humanItems, ...(work.apoItems ?? [])] : [...data.humanItems];
  await callbacks.onPhaseStart({ round, phase, total: minibatchSteps(items.length, parts.options.rm) });
  const continuing = parts.apo && parts.config.game.rmInit === 'continue' && models.rm !== undefined;
  const rm = continuing ? models.rm! : await parts.rewardFactory.fromPolicy(models.reference, { seed: rng.stream('init').seed() });
  let done = 0;
  let trained: Record<string, number> | undefined;
  try {
    trained = await trainRewardModel(rm, items, parts.rewardLoss, parts.options.rm, rng.stream('order'), {
      shouldStop: () => play.signal?.aborted === true,
      onStep: async (result, total) => {
        done += 1;
        await reportStep(ctx, result, total);
        await callbacks.onProgress({ round, phase, done, total });
      },
    });
  } catch (e) {
    if (rm !== models.rm) await rm.dispose();
    throw e;
  }
  if (trained === undefined) {
    if (rm !== models.rm) await rm.dispose();
    throw new StopRequested();
  }
  if (rm !== models.rm) {
    await models.rm?.dispose();
    models.rm = rm;
  }
  if (play.store) models.paths.rm = await play.store.saveModel(parts.apo ? modelDir('rm', round) : 'models/rm-base', (d) => rm.save(d));
  return {
    ...trained,
    'rm/items_human': data.humanItems.length,
    'rm/items_apo': parts.apo ? (work.apoItems?.length ?? 0) : 0,
  };
};
