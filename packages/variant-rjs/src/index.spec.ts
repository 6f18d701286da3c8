// The preset's conformance: the variant kit every preset runs, first- or third-party.
import { tinyGameParts } from '@apogee/game/testing';
import { describeVariant } from '@apogee/testing';
import preset, { rjs } from './index';

describeVariant('rjs', rjs, { defaultExport: preset, apo: false, update: 'rjs', dependencies: tinyGameParts });
