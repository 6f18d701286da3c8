// The preset's conformance: the variant kit every preset runs, first- or third-party.
import { tinyGameParts } from '@apogee/game/testing';
import { describeVariant } from '@apogee/testing';
import preset, { goldenSft } from './index';

describeVariant('golden-sft', goldenSft, { defaultExport: preset, apo: false, update: 'golden-sft', dependencies: tinyGameParts });
