import 'reflect-metadata';
import { definePlugin, token } from '@apogee/core';
import { describePlugin } from './plugin-kit';
import { maxAbsDiff, makeTempDir } from './helpers';
import * as fs from 'node:fs';

const T = token<{ value: number }>('@apogee/testing', 'Example');
const example = definePlugin<{ value: number }>('example', {
  provides: [T],
  defaults: { value: 1 },
  register(c, o) { c.register(T, { useFactory: () => ({ value: o.value }) }); },
});

describePlugin('example', example, { options: { value: 3 } });

describe('helpers', () => {
  it('makes and removes temp dirs', () => {
    const t = makeTempDir();
    expect(fs.existsSync(t.dir)).toBe(true);
    t.cleanup();
    expect(fs.existsSync(t.dir)).toBe(false);
  });
  it('measures max abs diff and rejects length mismatch', () => {
    expect(maxAbsDiff([1, 2], [1, 2.5])).toBe(0.5);
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/length mismatch/);
  });
});
