// The files prepack.cjs sets aside while a package is packed, and how to put them back.
const fs = require('node:fs');
const path = require('node:path');

/** The package's own package.json while the stripped one is packed. */
const BACKUP = '.package.json.prepack';
const SPEC = 'README.spec.ts';
const SPEC_ASIDE = '.README.spec.ts.prepack';

function restore(dir) {
  if (fs.existsSync(path.join(dir, BACKUP))) fs.renameSync(path.join(dir, BACKUP), path.join(dir, 'package.json'));
  if (fs.existsSync(path.join(dir, SPEC_ASIDE))) fs.renameSync(path.join(dir, SPEC_ASIDE), path.join(dir, SPEC));
}

module.exports = { BACKUP, SPEC, SPEC_ASIDE, restore };
