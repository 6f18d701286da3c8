// The preset's conformance: the shared variant kit of @apogee/game (see its test/variant-kit.ts).
import { describeVariant } from '@apogee/game/testing';
import preset, { rjs } from './index';

describeVariant('rjs', rjs, { defaultExport: preset, apo: false, update: 'rjs' });
