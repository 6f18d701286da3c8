// The conformance kits every apogee plugin and sampler runs (they come with @apogee/testing).
import 'reflect-metadata';
import { describePlugin, describeSampler } from '@apogee/testing';
import plugin, { __CLASS__, __FACTORY__ } from './index';

describePlugin('__SHORT__', (options) => __FACTORY__(options));
describeSampler(() => new __CLASS__({ temperature: 0.7 }), { temperature: 0.7 });

it('is the default export, and rejects bad options naming the field', () => {
  expect(plugin).toBe(__FACTORY__);
  expect(() => __FACTORY__({ temperature: -1 })).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'temperature' })] }));
});
