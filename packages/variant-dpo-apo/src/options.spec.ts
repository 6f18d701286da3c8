import 'reflect-metadata';
import { dpoApo } from './index';

// The preset's options are typed from its parts (dpoUpdate, apoRewardLoss, dpoLoss): a wrong
// option is a compile error (checked by the typecheck target) and, from untyped callers, a run-time one.
describe('dpoApo options', () => {
  it('are typed by the plugins they go to', () => {
    expect(dpoApo({ update: { lr: 1e-3, pairs: 'best-rest' }, policyLoss: { beta: 0.2 } }).name).toBe('dpo-apo');
    // @ts-expect-error lr is a number or a list of numbers
    expect(() => dpoApo({ update: { lr: 'fast' } })).toThrow(expect.objectContaining({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID' }));
    // @ts-expect-error dpoLoss has no option "gamma"
    expect(() => dpoApo({ policyLoss: { gamma: 1 } })).toThrow(expect.objectContaining({ code: 'APOGEE_PLUGIN_OPTIONS_INVALID' }));
  });
});
