// The preset's conformance: the shared variant kit of @apogee/game (see its test/variant-kit.ts).
import { describeVariant } from '@apogee/game/testing';
import preset, { rjsApo } from './index';

describeVariant('rjs-apo', rjsApo, { defaultExport: preset, apo: true, update: 'rjs' });
