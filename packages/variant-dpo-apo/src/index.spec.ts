// The preset's conformance: the shared variant kit of @apogee/game (see its test/variant-kit.ts).
import { describeVariant } from '@apogee/game/testing';
import preset, { dpoApo } from './index';

describeVariant('dpo-apo', dpoApo, { defaultExport: preset, apo: true, update: 'dpo' });
