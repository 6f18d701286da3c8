#!/usr/bin/env node
// `npm create @apogee/plugin NAME [-- --dir DIR]`: writes a plugin package from ../template.
// NAME is completed as plugin names are resolved: `mylength` → `apogee-plugin-mylength`,
// `@acme/judge` → `@acme/apogee-plugin-judge`, so the short name in a config finds the package.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PREFIX = 'apogee-plugin';
const own = require('../package.json');

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'Usage: npm create @apogee/plugin NAME [-- --dir DIR] [--apogee RANGE]\n' +
      '  NAME    the plugin name: mylength (package apogee-plugin-mylength) or @acme/judge\n' +
      '  --dir   where to write it (default: ./<package name without scope>)\n' +
      `  --apogee  the @apogee/* version range it builds on (default ^${own.version})\n`,
  );
  process.exit(code);
}

/** `mylength` → { pkg: 'apogee-plugin-mylength', short: 'mylength' }. */
function names(input) {
  const m = /^(?:(@[a-z0-9~][a-z0-9._~-]*)\/)?([a-z0-9~][a-z0-9._~-]*)$/.exec(input);
  if (!m) {
    process.stderr.write(`create-plugin: "${input}" is not a valid package name (lower case, digits, - . _ ~; optionally @scope/).\n`);
    process.exit(2);
  }
  const [, scope, bare] = m;
  const short = bare.startsWith(`${PREFIX}-`) ? bare.slice(PREFIX.length + 1) : bare;
  const pkg = `${scope ? `${scope}/` : ''}${PREFIX}-${short}`;
  const words = short.split(/[^a-z0-9]+/).filter(Boolean);
  const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return { pkg, short, configName: scope ? `${scope}/${short}` : short, pascal, camel: pascal[0].toLowerCase() + pascal.slice(1) };
}

const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) usage(0);
const opt = (flag) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) usage(2);
  args.splice(i, 2);
  return v;
};
const dirArg = opt('--dir');
const apogee = opt('--apogee') ?? `^${own.version}`;
if (args.length !== 1) usage(2);
const n = names(args[0]);
const target = path.resolve(dirArg ?? n.pkg.replace(/^@[^/]+\//, ''));
if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
  process.stderr.write(`create-plugin: ${target} exists and is not empty; pick another --dir.\n`);
  process.exit(2);
}

const vars = {
  __PACKAGE__: n.pkg,
  __SHORT__: n.short,
  __CONFIG_NAME__: n.configName,
  __CLASS__: `${n.pascal}Sampler`,
  __FACTORY__: `${n.camel}Sampler`,
  __CONST__: `${n.short.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_OPTIONS`,
  __APOGEE__: apogee,
  __YEAR__: String(new Date().getFullYear()),
};
const fill = (text) => text.replace(/__[A-Z_]+__/g, (k) => vars[k] ?? k);

const template = path.join(__dirname, '..', 'template');
const copy = (from, to) => {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    // npm drops .gitignore from tarballs, so the template keeps it as "gitignore".
    const dest = path.join(to, entry.name === 'gitignore' ? '.gitignore' : entry.name);
    if (entry.isDirectory()) {
      fs.mkdirSync(dest, { recursive: true });
      copy(src, dest);
    } else fs.writeFileSync(dest, fill(fs.readFileSync(src, 'utf8')));
  }
};
fs.mkdirSync(target, { recursive: true });
copy(template, target);
const rel = path.relative(process.cwd(), target) || '.';
process.stdout.write(
  `Wrote ${n.pkg} in ${rel}.\n\nNext:\n  cd ${rel}\n  npm install\n  npm test          # the plugin and sampler conformance kits\n  npm pack          # builds first (prepack), then packs\n\n` +
    `Name it in an apogee config as "${n.configName}" (or "${n.pkg}") once it is installed next to the config.\n`,
);
