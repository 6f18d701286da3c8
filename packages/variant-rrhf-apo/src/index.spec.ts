// The preset's conformance: the shared variant kit of @apogee/game (see its test/variant-kit.ts).
import { describeVariant } from '@apogee/game/testing';
import preset, { rrhfApo } from './index';

describeVariant('rrhf-apo', rrhfApo, { defaultExport: preset, apo: true, update: 'rrhf' });
