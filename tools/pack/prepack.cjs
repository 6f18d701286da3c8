#!/usr/bin/env node
// `prepack` of every publishable package (run by `npm pack` / `npm publish` in the package's
// directory). It refuses to pack a package whose build is missing or older than its sources (an
// unbuilt package would ship without code), then rewrites what is packed:
// - package.json loses the private `@apogee/source` export condition (it points at src/, which is
//   not published), export subpaths that only had that condition, and its scripts;
// - README.spec.ts steps aside (npm always packs files named readme.*).
// `postpack.cjs` puts both back. A pack that died half-way is undone by the next pack (or by
// `node tools/pack/postpack.cjs` in the package's directory).
const fs = require('node:fs');
const path = require('node:path');
const { BACKUP, SPEC, SPEC_ASIDE, restore } = require('./pack-files.cjs');

const dir = process.cwd();
restore(dir);

const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));

/** Newest modification time of the files under `root` that `keep` accepts (0 when none). */
function newest(root, keep) {
  let max = 0;
  const walk = (d) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (keep(p)) max = Math.max(max, fs.statSync(p).mtimeMs);
    }
  };
  walk(root);
  return max;
}

const fail = (why) => {
  console.error(`\n${pkg.name}: ${why}\nBuild first: \`npx nx run-many -t build\` at the repository root (or \`npx nx build ${pkg.name}\`), then pack again.\n`);
  process.exit(1);
};
const main = path.join(dir, pkg.main ?? 'dist/index.js');
if (!fs.existsSync(main)) fail(`${path.relative(dir, main)} does not exist: the package is not built, and packing it would publish no code.`);
const built = newest(path.join(dir, 'dist'), (p) => p.endsWith('.js'));
const source = newest(path.join(dir, 'src'), (p) => p.endsWith('.ts') && !p.endsWith('.spec.ts'));
if (source > built) fail('dist/ is older than src/: packing it would publish stale code.');

/** `exports` without the `@apogee/source` condition; subpaths left empty are dropped. */
function publicExports(exp) {
  if (typeof exp !== 'object' || exp === null) return exp;
  const out = {};
  for (const [k, v] of Object.entries(exp)) {
    if (k === '@apogee/source') continue;
    const cleaned = publicExports(v);
    if (typeof cleaned === 'object' && cleaned !== null && Object.keys(cleaned).length === 0) continue;
    out[k] = cleaned;
  }
  return out;
}

fs.copyFileSync(path.join(dir, 'package.json'), path.join(dir, BACKUP));
const published = { ...pkg, exports: publicExports(pkg.exports) };
delete published.scripts;
fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
if (fs.existsSync(path.join(dir, SPEC))) fs.renameSync(path.join(dir, SPEC), path.join(dir, SPEC_ASIDE));
