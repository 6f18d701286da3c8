// The preset's conformance: the shared variant kit of @apogee/game (see its test/variant-kit.ts).
import { describeVariant } from '@apogee/game/testing';
import preset, { goldenSft } from './index';

describeVariant('golden-sft', goldenSft, { defaultExport: preset, apo: false, update: 'golden-sft' });
