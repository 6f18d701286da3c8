// Entry of the child process that bin/apogee.cjs starts in a source checkout: tsx is registered
// and the "@apogee/source" condition is on, so this require loads TypeScript directly.
'use strict';
require('../src/main.ts')
  .runCli(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
