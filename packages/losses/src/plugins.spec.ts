import * as tf from '@tensorflow/tfjs-core';
import { applyPlugin, createRun, TOKENS, type ApogeeError } from '@apogee/core';
import { describePlugin } from '@apogee/testing';
import { useCpuBackend } from '../test/tf-setup';
import { ApoRewardLoss, apoRewardLoss } from './apo-reward-loss';
import { DpoLoss, dpoLoss } from './dpo-loss';
import { rankingLoss } from './ranking-loss';
import { LOSS_PLUGINS } from './registry';
import { rrhfLoss } from './rrhf-loss';
import { sftLoss } from './sft-loss';

beforeAll(useCpuBackend);

describePlugin('ranking-loss', rankingLoss, { options: { lossType: 'diff' } });
describePlugin('apo-reward-loss', apoRewardLoss);
describePlugin('sft-loss', sftLoss, { options: { normalization: 'sequence' } });
describePlugin('dpo-loss', dpoLoss, { options: { lossType: 'ipo', beta: 0.5 } });
describePlugin('rrhf-loss', rrhfLoss);

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as ApogeeError).code}: ${(e as ApogeeError).describe()}`;
  }
  return 'no error';
}

describe('loss plugins', () => {
  it('are selectable by name, with the reference defaults', async () => {
    expect(Object.keys(LOSS_PLUGINS).sort()).toEqual(['apo-reward-loss', 'dpo-loss', 'ranking-loss', 'rrhf-loss', 'sft-loss']);
    for (const [name, factory] of Object.entries(LOSS_PLUGINS)) expect(factory.pluginName).toBe(name);
    const run = await createRun({ plugins: [LOSS_PLUGINS['apo-reward-loss'](), applyPlugin(LOSS_PLUGINS['dpo-loss'], { lossType: 'hinge' }), LOSS_PLUGINS['sft-loss'](), LOSS_PLUGINS['rrhf-loss']()] });
    const rm = run.resolve(TOKENS.RewardLoss) as ApoRewardLoss;
    expect(rm).toBeInstanceOf(ApoRewardLoss);
    expect(rm.options).toEqual({ rmKlCoeff: 1, apoLossCoeff: 0.1, apoSampleNum: 4, apoLossType: 'ranking', centeringCoeff: 0 });
    const dpo = run.resolve(TOKENS.PairwisePolicyLoss) as DpoLoss;
    expect(dpo.options).toEqual({ lossType: 'hinge', beta: 0.1, labelSmoothing: 0 });
    expect(dpo.name).toBe('dpo-loss(hinge)');
    expect(run.resolve(TOKENS.SftLoss).name).toBe('sft-loss');
    expect(run.resolve(TOKENS.RankingPolicyLoss).name).toBe('rrhf-loss');
    await run.dispose();
  });

  it('swap by registration order: the last RewardLoss plugin wins', async () => {
    const run = await createRun({ plugins: [apoRewardLoss(), rankingLoss()] });
    expect(run.resolve(TOKENS.RewardLoss).name).toBe('ranking-loss');
    await run.dispose();
  });

  it('reject bad options naming the plugin, the field and the allowed values', () => {
    expect(problem(() => dpoLoss({ lossType: 'kto' as never }))).toMatch(/APOGEE_PLUGIN_OPTIONS_INVALID[\s\S]*dpo-loss[\s\S]*lossType/);
    expect(problem(() => dpoLoss({ beta: 0 }))).toMatch(/beta/);
    expect(problem(() => dpoLoss({ labelSmoothing: 0.5, lossType: 'robust' }))).toMatch(/labelSmoothing/);
    expect(problem(() => dpoLoss({ labelSmoothing: 0.1, lossType: 'ipo' }))).toMatch(/labelSmoothing applies to the "sigmoid"/);
    expect(problem(() => apoRewardLoss({ apoSampleNum: 0 }))).toMatch(/apoSampleNum/);
    expect(problem(() => rrhfLoss({ rankingWeight: -1 }))).toMatch(/rankingWeight/);
    expect(problem(() => sftLoss({ normalization: 'batch' as never }))).toMatch(/normalization/);
    expect(problem(() => rankingLoss({ extra: 1 } as never))).toMatch(/extra/);
  });

  it('reject malformed inputs with ApogeeErrors naming the field', () => {
    const rm = new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: 0.1, apoSampleNum: 4, apoLossType: 'ranking', centeringCoeff: 0 });
    const z = tf.tensor2d([[1, 0]]);
    expect(problem(() => rm.compute({ rewards: z, scores: [[1, 0, -1]], kinds: ['human'] }))).toMatch(/APOGEE_INVALID_ARGUMENT[\s\S]*scores\[0\]/);
    expect(problem(() => rm.compute({ rewards: z, scores: [], kinds: [] }))).toMatch(/scores.*1 rows/);
    expect(problem(() => rm.compute({ rewards: z, scores: [[1, 0]], kinds: ['gold' as never] }))).toMatch(/kinds\[0\]/);
    expect(problem(() => rm.compute({ rewards: z, scores: [[1, NaN]], kinds: ['human'] }))).toMatch(/scores\[0\]\[1\]/);
    const dpo = new DpoLoss({ lossType: 'sigmoid', beta: 0.1, labelSmoothing: 0 });
    const a = tf.tensor1d([1, 2]);
    expect(problem(() => dpo.compute({ policyChosen: a, policyRejected: a, referenceChosen: tf.tensor1d([1]), referenceRejected: a }))).toMatch(/referenceChosen.*shape \[1\]/);
    tf.dispose([z, a]);
  });

  it('still take the deprecated `variant` name of lossType / apoLossType, which validates like the new one', async () => {
    expect(dpoLoss({ variant: 'ipo', beta: 0.5 }).options).toEqual({ lossType: 'ipo', beta: 0.5, labelSmoothing: 0 });
    expect(rankingLoss({ variant: 'diff' }).options).toEqual({ lossType: 'diff', centeringCoeff: 0 });
    expect(apoRewardLoss({ variant: 'diff' }).options).toMatchObject({ apoLossType: 'diff' });
    expect(new ApoRewardLoss({ variant: 'diff' }).options.apoLossType).toBe('diff');
    expect(new DpoLoss({ variant: 'hinge' }).name).toBe('dpo-loss(hinge)');
    // Validated as before: a bad value, a rule that reads it, and a disagreement with the new name.
    expect(problem(() => dpoLoss({ variant: 'kto' as never }))).toMatch(/dpo-loss[\s\S]*variant/);
    expect(problem(() => dpoLoss({ variant: 'ipo', labelSmoothing: 0.1 }))).toMatch(/labelSmoothing applies to the "sigmoid"/);
    expect(problem(() => rankingLoss({ variant: 'diff', lossType: 'ranking' }))).toMatch(/variant: is the deprecated name of "lossType" and disagrees with it/);
    expect(rankingLoss({ variant: 'diff', lossType: 'diff' }).options).toEqual({ lossType: 'diff', centeringCoeff: 0 });
    // And it still changes the numbers: the APO term's raw difference vs log-sigmoid.
    const rewards = tf.tensor2d([[0.5, -0.5]]);
    const input = { rewards, scores: [[1, 0]], kinds: ['apo' as const] };
    const viaAlias = new ApoRewardLoss({ variant: 'diff' }).compute(input);
    const viaName = new ApoRewardLoss({ apoLossType: 'diff' }).compute(input);
    const ranking = new ApoRewardLoss({}).compute(input);
    expect(viaAlias.loss.dataSync()[0]).toBe(viaName.loss.dataSync()[0]);
    expect(viaAlias.loss.dataSync()[0]).not.toBeCloseTo(ranking.loss.dataSync()[0], 3);
    tf.dispose([rewards, viaAlias.loss, viaName.loss, ranking.loss, ...Object.values(viaAlias.metrics ?? {}), ...Object.values(viaName.metrics ?? {}), ...Object.values(ranking.metrics ?? {})]);
  });
});
