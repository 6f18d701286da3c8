// The preset's conformance: the variant kit every preset runs, first- or third-party.
import { tinyGameParts } from '@apogee/game/testing';
import { describeVariant } from '@apogee/testing';
import preset, { dpo } from './index';

describeVariant('dpo', dpo, { defaultExport: preset, apo: false, update: 'dpo', dependencies: tinyGameParts });
