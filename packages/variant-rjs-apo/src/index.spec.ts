// The preset's conformance: the variant kit every preset runs, first- or third-party.
import { tinyGameParts } from '@apogee/game/testing';
import { describeVariant } from '@apogee/testing';
import preset, { rjsApo } from './index';

describeVariant('rjs-apo', rjsApo, { defaultExport: preset, apo: true, update: 'rjs', dependencies: tinyGameParts });
