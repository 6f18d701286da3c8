// The README's usage example is a test: the variant kit runs its code as written, one round on a tiny world.
import { describeVariantReadme } from '@apogee/game/testing';
import rrhf from './src';

describeVariantReadme(__dirname, rrhf, { title: 'RRHF', apo: false, update: 'rrhf' });
