// The README's usage example is a test: the variant kit runs its code as written, one round on a tiny world.
import { describeVariantReadme } from '@apogee/game/testing';
import goldenSft from './src';

describeVariantReadme(__dirname, goldenSft, { title: 'Golden SFT', apo: false, update: 'golden-sft' });
