// The README's usage example is a test: the variant kit runs its code as written, one round on a tiny world.
import { describeVariantReadme } from '@apogee/game/testing';
import dpoApo from './src';

describeVariantReadme(__dirname, dpoApo, { title: 'DPO-APO', apo: true, update: 'dpo' });
