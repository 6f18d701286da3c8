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

describePlugin('ranking-loss', rankingLoss, { options: { variant: 'diff' } });
describePlugin('apo-reward-loss', apoRewardLoss);
describePlugin('sft-loss', sftLoss, { options: { normalization: 'sequence' } });
describePlugin('dpo-loss', dpoLoss, { options: { variant: 'ipo', beta: 0.5 } });
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
    const run = await createRun({ plugins: [LOSS_PLUGINS['apo-reward-loss'](), applyPlugin(LOSS_PLUGINS['dpo-loss'], { variant: 'hinge' }), LOSS_PLUGINS['sft-loss'](), LOSS_PLUGINS['rrhf-loss']()] });
    const rm = run.resolve(TOKENS.RewardLoss) as ApoRewardLoss;
    expect(rm).toBeInstanceOf(ApoRewardLoss);
    expect(rm.options).toEqual({ rmKlCoeff: 1, apoLossCoeff: 0.1, apoSampleNum: 4, variant: 'ranking', centeringCoeff: 0 });
    const dpo = run.resolve(TOKENS.PairwisePolicyLoss) as DpoLoss;
    expect(dpo.options).toEqual({ variant: 'hinge', beta: 0.1, labelSmoothing: 0 });
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
    expect(problem(() => dpoLoss({ variant: 'kto' as never }))).toMatch(/APOGEE_PLUGIN_OPTIONS_INVALID[\s\S]*dpo-loss[\s\S]*variant/);
    expect(problem(() => dpoLoss({ beta: 0 }))).toMatch(/beta/);
    expect(problem(() => dpoLoss({ labelSmoothing: 0.5, variant: 'robust' }))).toMatch(/labelSmoothing/);
    expect(problem(() => dpoLoss({ labelSmoothing: 0.1, variant: 'ipo' }))).toMatch(/labelSmoothing applies to the "sigmoid"/);
    expect(problem(() => apoRewardLoss({ apoSampleNum: 0 }))).toMatch(/apoSampleNum/);
    expect(problem(() => rrhfLoss({ rankingWeight: -1 }))).toMatch(/rankingWeight/);
    expect(problem(() => sftLoss({ normalization: 'batch' as never }))).toMatch(/normalization/);
    expect(problem(() => rankingLoss({ extra: 1 } as never))).toMatch(/extra/);
  });

  it('reject malformed inputs with ApogeeErrors naming the field', () => {
    const rm = new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: 0.1, apoSampleNum: 4, variant: 'ranking', centeringCoeff: 0 });
    const z = tf.tensor2d([[1, 0]]);
    expect(problem(() => rm.compute({ rewards: z, scores: [[1, 0, -1]], kinds: ['human'] }))).toMatch(/APOGEE_INVALID_ARGUMENT[\s\S]*scores\[0\]/);
    expect(problem(() => rm.compute({ rewards: z, scores: [], kinds: [] }))).toMatch(/scores.*1 rows/);
    expect(problem(() => rm.compute({ rewards: z, scores: [[1, 0]], kinds: ['gold' as never] }))).toMatch(/kinds\[0\]/);
    expect(problem(() => rm.compute({ rewards: z, scores: [[1, NaN]], kinds: ['human'] }))).toMatch(/scores\[0\]\[1\]/);
    const dpo = new DpoLoss({ variant: 'sigmoid', beta: 0.1, labelSmoothing: 0 });
    const a = tf.tensor1d([1, 2]);
    expect(problem(() => dpo.compute({ policyChosen: a, policyRejected: a, referenceChosen: tf.tensor1d([1]), referenceRejected: a }))).toMatch(/referenceChosen.*shape \[1\]/);
    tf.dispose([z, a]);
  });
});
