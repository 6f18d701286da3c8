import 'reflect-metadata';
import { definePlugin, token } from '@apogee/core';
import { describePlugin } from './src';

const ANSWER = token<{ value: number }>('my-plugin', 'Answer');
const answer = definePlugin<{ value: number }>('answer', {
  provides: [ANSWER], defaults: { value: 42 },
  register: (c, o) => c.register(ANSWER, { useFactory: () => ({ value: o.value }) }),
});
describePlugin('answer', answer);
