// The README's usage example is a test: the variant kit runs its code as written, one round on a tiny world.
import { describeVariantReadme } from '@apogee/game/testing';
import rjs from './src';

describeVariantReadme(__dirname, rjs, { title: 'RJS', apo: false, update: 'rjs' });
