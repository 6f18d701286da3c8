// The preset's conformance: the shared variant kit of @apogee/game (see its test/variant-kit.ts).
import { describeVariant } from '@apogee/game/testing';
import preset, { dpo } from './index';

describeVariant('dpo', dpo, { defaultExport: preset, apo: false, update: 'dpo' });
