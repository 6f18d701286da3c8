// The preset's conformance: the variant kit every preset runs, first- or third-party.
import { tinyGameParts } from '@apogee/game/testing';
import { describeVariant } from '@apogee/testing';
import preset, { rrhfApo } from './index';

describeVariant('rrhf-apo', rrhfApo, { defaultExport: preset, apo: true, update: 'rrhf', dependencies: tinyGameParts });
