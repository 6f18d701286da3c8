import 'reflect-metadata';
import { createRun, TOKENS, type ApoPlugin, type Run } from '@apogee/core';
import { dpoLoss, rrhfLoss, sftLoss } from '@apogee/losses';
import { gptPolicy } from '@apogee/policy';
import { initBackend } from '@apogee/runtime';
import { describePlugin, describePolicyUpdate } from '@apogee/testing';
import { byteTokenizer } from '@apogee/tokenizers';
import { dpoUpdate, goldenSftUpdate, rjsUpdate, rrhfUpdate } from './plugins';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const TINY = gptPolicy({ config: { nLayer: 1, nEmbd: 32, nHead: 2, blockSize: 64 } });
// batchSize 1: several optimizer steps per round, so the abort check is meaningful.
const training = { lr: 1e-2, batchSize: 1 };

const cases: Array<[string, () => ApoPlugin[]]> = [
  ['rjs', () => [sftLoss(), rjsUpdate(training)]],
  ['dpo (best-worst, π₀)', () => [dpoLoss(), dpoUpdate(training)]],
  ['dpo (all pairs, round-start reference)', () => [dpoLoss(), dpoUpdate({ ...training, pairs: 'all', reference: 'round-start' })]],
  ['rrhf', () => [rrhfLoss(), rrhfUpdate(training)]],
  ['golden-sft', () => [sftLoss(), goldenSftUpdate(training)]],
];

for (const [name, plugins] of cases) {
  let run: Run;
  describePolicyUpdate(async () => run.resolve(TOKENS.PolicyUpdate), {
    title: `policy update conformance: ${name}`,
    setup: async () => {
      await initBackend({ logger: quiet });
      run = await createRun({ plugins: [byteTokenizer(), TINY, ...plugins()], config: { seed: 3 } });
    },
    policy: () => run.resolve(TOKENS.PolicyFactory).create({ tokenizer: run.resolve(TOKENS.Tokenizer), seed: 7 }),
  });
  afterAll(() => run?.dispose());
}

describePlugin('rjs-update', (o) => rjsUpdate(o), { dependencies: () => [sftLoss()] });
describePlugin('dpo-update', (o) => dpoUpdate(o), { dependencies: () => [dpoLoss()] });
describePlugin('rrhf-update', (o) => rrhfUpdate(o), { dependencies: () => [rrhfLoss()] });
describePlugin('golden-sft-update', (o) => goldenSftUpdate(o), { dependencies: () => [sftLoss()] });

describe('update options', () => {
  it('reject a bad value naming the plugin and the field', () => {
    expect(() => dpoUpdate({ pairs: 'best' as never })).toThrow(expect.objectContaining({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID', problems: [expect.objectContaining({ path: 'pairs' })] }));
    expect(() => rjsUpdate({ lr: [] as never })).toThrow(/rjs-update/);
  });
});
