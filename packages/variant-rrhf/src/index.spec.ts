// The preset's conformance: the variant kit every preset runs, first- or third-party.
import { tinyGameParts } from '@apogee/game/testing';
import { describeVariant } from '@apogee/testing';
import preset, { rrhf } from './index';

describeVariant('rrhf', rrhf, { defaultExport: preset, apo: false, update: 'rrhf', dependencies: tinyGameParts });
