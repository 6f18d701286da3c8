// The README's usage example is a test: the variant kit runs its code as written, one round on a tiny world.
import { describeVariantReadme } from '@apogee/game/testing';
import rjsApo from './src';

describeVariantReadme(__dirname, rjsApo, { title: 'RJS-APO', apo: true, update: 'rjs' });
