// The README's usage example is a test: the variant kit runs its code as written, one round on a tiny world.
import { describeVariantReadme } from '@apogee/game/testing';
import dpo from './src';

describeVariantReadme(__dirname, dpo, { title: 'DPO', apo: false, update: 'dpo' });
