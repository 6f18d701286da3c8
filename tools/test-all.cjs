#!/usr/bin/env node
// Runs every package's tests through Nx (cached per package), then prints one closing line
// summed over all packages: "N passed, N failed, N skipped". Exit code is Nx's.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const extra = process.argv.slice(2);
// The real preference data (public files, not part of the repository) beside the checkout, when it
// is there: tests that need it read APOGEE_SHARED_DATA and skip, saying so, without it.
const shared = path.join(root, '..', 'shared', 'data');
const env = { ...process.env, NX_TUI: 'false' };
if (!env.APOGEE_SHARED_DATA && fs.existsSync(shared)) env.APOGEE_SHARED_DATA = shared;
const nx = spawnSync(
  process.execPath,
  [require.resolve('nx/bin/nx.js'), 'run-many', '-t', 'test', '--output-style=stream', ...extra],
  { cwd: root, stdio: 'inherit', env },
);

let passed = 0, failed = 0, skipped = 0, suites = 0;
const pkgs = path.join(root, 'packages');
const dirs = [...fs.readdirSync(pkgs).map((name) => path.join(pkgs, name)), path.join(root, 'examples'), path.join(root, 'e2e')];
for (const dir of dirs) {
  const file = path.join(dir, '.test-results.json');
  if (!fs.existsSync(file)) continue;
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
    suites += r.numTotalTestSuites;
  } catch {
    // A half-written result file: that package's own output above says what happened.
  }
}
console.log(`\n${suites} test suites across ${fs.readdirSync(pkgs).length} packages`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(nx.status ?? 1);
