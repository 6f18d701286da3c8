// The preset's conformance: the variant kit every preset runs, first- or third-party.
import { tinyGameParts } from '@apogee/game/testing';
import { describeVariant } from '@apogee/testing';
import preset, { dpoApo } from './index';

describeVariant('dpo-apo', dpoApo, { defaultExport: preset, apo: true, update: 'dpo', dependencies: tinyGameParts });
