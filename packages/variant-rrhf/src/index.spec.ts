// The preset's conformance: the shared variant kit of @apogee/game (see its test/variant-kit.ts).
import { describeVariant } from '@apogee/game/testing';
import preset, { rrhf } from './index';

describeVariant('rrhf', rrhf, { defaultExport: preset, apo: false, update: 'rrhf' });
