#!/usr/bin/env node
// The `apogee` command. Works straight after `npm ci`, with no build step
// (docs/decisions/0070-cli-bin-without-build.md):
// - in a source checkout (src/ beside this file) it runs the TypeScript sources through tsx, in a
//   child node with the "@apogee/source" export condition so every @apogee/* package resolves to
//   its src/ too (a stale dist/ can never shadow the code you just edited);
// - in an installed package (no src/) it runs the compiled dist/.
// APOGEE_FROM=dist|source forces one or the other.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist', 'main.js');
const src = path.join(root, 'src', 'main.ts');
const from = process.env.APOGEE_FROM || (fs.existsSync(src) ? 'source' : 'dist');

if (from === 'dist') {
  if (!fs.existsSync(dist)) {
    process.stderr.write(`apogee: ${dist} is missing. Build it with \`npx nx build @apogee/cli\`, or unset APOGEE_FROM.\n`);
    process.exit(1);
  }
  require(dist).runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
} else {
  const { spawn } = require('node:child_process');
  let tsx;
  try {
    tsx = require.resolve('tsx', { paths: [root] });
  } catch {
    process.stderr.write('apogee: running from source needs tsx. Run `npm ci` in the repository root.\n');
    process.exit(1);
  }
  const runner = path.join(root, 'bin', 'run-source.cjs');
  // tsx applies a tsconfig only to the files it includes: the workspace's base config covers every
  // package (decorators on, for tsyringe), the package's own config only this one.
  const baseTsconfig = path.join(root, '..', '..', 'tsconfig.base.json');
  const tsconfig = fs.existsSync(baseTsconfig) ? baseTsconfig : path.join(root, 'tsconfig.json');
  const child = spawn(
    process.execPath,
    ['--conditions=@apogee/source', '--import', require('node:url').pathToFileURL(tsx).href, runner, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { TSX_TSCONFIG_PATH: tsconfig, ...process.env, APOGEE_FROM: 'source' } },
  );
  // Signals are passed on to the child, which finishes its step, checkpoints and exits 130. A
  // terminal's Ctrl-C reaches both processes; the child treats two SIGINTs within a second as one.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
  });
}
