// apogee as a user installs it (docs/guides/installing.md, writing-a-plugin.md): every public
// package packed with `npm pack`, the tarballs installed into a scratch project outside the
// repository, a plugin scaffolded with @apogee/create-plugin, tested, packed and installed there,
// then `apogee run` from another directory on a config that names the plugin and a variant by
// their npm names. Needs the packages built (`nx test @apogee/e2e` builds them first) and the npm
// cache of `npm ci` (installs use --prefer-offline).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

function npm(args: string[], cwd: string): string {
  // npm_config_* from a parent `npm test` would leak its workspace settings into these calls.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return execFileSync('npm', args, { cwd, encoding: 'utf8', env: { ...env, NX_DAEMON: 'false' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

function apogee(bin: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1', ...env }, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Directory size in bytes (files as stored, links not followed). */
function du(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += du(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

const publicPackages = fs
  .readdirSync(path.join(ROOT, 'packages'))
  .map((d) => path.join(ROOT, 'packages', d))
  .filter((d) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
    return !pkg.private;
  });

describe('the published packages, installed from their tarballs', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-publish-'));
  const tarballs = path.join(tmp, 'tarballs');
  const app = path.join(tmp, 'app');
  const elsewhere = path.join(tmp, 'elsewhere');
  let packed: Packed[] = [];
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('packs every public package with compiled JS, types, README and LICENSE, no specs and no private export condition', () => {
    fs.mkdirSync(tarballs);
    const out = npm(['pack', '--json', '--pack-destination', tarballs, ...publicPackages.flatMap((d) => ['-w', path.relative(ROOT, d)])], ROOT);
    packed = JSON.parse(out) as Packed[];
    expect(packed.map((p) => p.name).sort()).toEqual(publicPackages.map((d) => JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).name).sort());
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      const has = (f: string) => files.includes(f);
      const isLib = p.name !== '@apogee/create-plugin';
      expect({ name: p.name, js: !isLib || has('dist/index.js'), types: !isLib || has('dist/index.d.ts'), readme: has('README.md'), license: has('LICENSE') }).toEqual({
        name: p.name, js: true, types: true, readme: true, license: true,
      });
      // (The plugin template's own spec is a file it writes, not a test of this package.)
      const specs = files.filter((f) => /\.spec\.|tsbuildinfo|^src\//.test(f) && !f.startsWith('template/'));
      expect({ name: p.name, specs }).toEqual({ name: p.name, specs: [] });
      const manifest = execFileSync('tar', ['-xzOf', path.join(tarballs, p.filename), 'package/package.json'], { encoding: 'utf8' });
      expect({ name: p.name, source: manifest.includes('@apogee/source'), scripts: 'scripts' in JSON.parse(manifest) }).toEqual({ name: p.name, source: false, scripts: false });
    }
    // Source maps carry their sources (src/ is not published).
    const map = JSON.parse(execFileSync('tar', ['-xzOf', path.join(tarballs, packed.find((p) => p.name === '@apogee/core')!.filename), 'package/dist/index.js.map'], { encoding: 'utf8' }));
    expect(map.sourcesContent?.[0]).toContain('export');
    // The packages are left as they were (prepack's changes undone by postpack).
    for (const d of publicPackages) expect(fs.existsSync(path.join(d, '.package.json.prepack'))).toBe(false);
    expect(fs.readFileSync(path.join(ROOT, 'packages', 'core', 'package.json'), 'utf8')).toContain('@apogee/source');
  });

  it('installs the tarballs into a scratch project; the CLI needs no dev tooling and no @tensorflow/tfjs union package', () => {
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true }));
    npm(['install', ...NPM_FLAGS, ...packed.map((p) => path.join(tarballs, p.filename))], app);
    const nm = path.join(app, 'node_modules');
    for (const absent of ['tsx', 'esbuild', '@tensorflow/tfjs', 'typescript', 'jest']) expect({ absent, installed: fs.existsSync(path.join(nm, absent)) }).toEqual({ absent, installed: false });
    const size = du(nm);
    // Quoted in docs/guides/installing.md; measured, never asserted on.
    process.stdout.write(`installed size of the scratch project's node_modules (all @apogee packages and their dependencies): ${(size / 1e6).toFixed(1)} MB\n`);
  });

  it('scaffolds a plugin from the template, runs its conformance tests, packs it and installs it', () => {
    const create = path.join(app, 'node_modules', '@apogee', 'create-plugin', 'bin', 'create-plugin.cjs');
    const made = spawnSync(process.execPath, [create, 'mylength', '--dir', path.join(tmp, 'apogee-plugin-mylength')], { cwd: tmp, encoding: 'utf8' });
    expect(made.status).toBe(0);
    const plugin = path.join(tmp, 'apogee-plugin-mylength');
    // What a plugin author does next: make the sampler do something observable.
    const sampler = path.join(plugin, 'src', 'sampler.ts');
    const code = fs.readFileSync(sampler, 'utf8');
    const hook = 'next(step: SamplerStep): Int32Array {';
    expect(code).toContain(hook);
    fs.writeFileSync(sampler, code.replace(hook, `${hook}\n    if (process.env.MYLENGTH_TRACE) require('node:fs').appendFileSync(process.env.MYLENGTH_TRACE, 'next\\n');`));
    const tgz = (name: string) => path.join(tarballs, packed.find((p) => p.name === name)!.filename);
    npm(['install', ...NPM_FLAGS, '--save-dev', tgz('@apogee/core'), tgz('@apogee/testing')], plugin);
    npm(['test'], plugin);
    const [pluginTgz] = JSON.parse(npm(['pack', '--json'], plugin)) as Packed[];
    expect(pluginTgz.files.map((f) => f.path)).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE', 'package.json']));
    npm(['install', ...NPM_FLAGS, path.join(plugin, pluginTgz.filename)], app);
    expect(fs.existsSync(path.join(app, 'node_modules', 'apogee-plugin-mylength', 'package.json'))).toBe(true);
  });

  it('from another directory, `apogee run` loads the plugin by its short name and the variant by its npm name, and records their versions', () => {
    fs.mkdirSync(path.join(app, 'configs'), { recursive: true });
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(
      path.join(app, 'configs', 'apogee.yaml'),
      [
        'seed: 5',
        'backend: cpu',
        'game: { rounds: 1, samplesPerQuery: 2, maxNewTokens: 6 }',
        'plugins:',
        '  - byte-tokenizer',
        '  - [gpt-policy, { preset: tiny, config: { nLayer: 1, nEmbd: 16, nHead: 2, blockSize: 64 } }]',
        '  - gpt-reward',
        '  - sampler',
        '  - eval-sampler',
        '  - [world-data-source, { rmPrompts: 4, llmPrompts: 4, testPrompts: 2, sftDemos: 8 }]',
        '  - gold-judge',
        '  - [evaluator, { maxPrompts: 2 }]',
        "  - ['@apogee/variant-rjs-apo', { game: { sftInit: { epochs: 1 }, rm: { batchSize: 4, warmupSteps: 0 } } }]",
        '  - [mylength, { temperature: 0.9 }]',
        '',
      ].join('\n'),
    );
    const bin = path.join(app, 'node_modules', '@apogee', 'cli', 'bin', 'apogee.cjs');
    const trace = path.join(tmp, 'trace.txt');
    const r = apogee(bin, ['run', '--config', path.join(app, 'configs', 'apogee.yaml'), '--out', 'run', '--no-report'], elsewhere, { MYLENGTH_TRACE: trace });
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Finished 1 rounds in run/);
    expect(fs.readFileSync(trace, 'utf8')).toMatch(/^(next\n)+$/); // the plugin's sampler drew the training samples
    const recorded = parse(fs.readFileSync(path.join(elsewhere, 'run', 'config.yaml'), 'utf8'));
    const byName = (n: string) => recorded.provenance.plugins.find((p: { name: string }) => p.name === n);
    expect(byName('mylength')).toEqual({
      name: 'mylength',
      kind: 'package',
      package: 'apogee-plugin-mylength',
      version: '0.1.0',
      path: fs.realpathSync(path.join(app, 'node_modules', 'apogee-plugin-mylength')),
      options: { temperature: 0.9 },
    });
    expect(byName('@apogee/variant-rjs-apo')).toMatchObject({ kind: 'package', package: '@apogee/variant-rjs-apo', version: '0.1.0' });
    expect(byName('@apogee/variant-rjs-apo').options.game.rm).toMatchObject({ batchSize: 4, warmupSteps: 0 });
  });

  it("finds a package of the CLI's own installation for a config outside the project", () => {
    fs.writeFileSync(path.join(elsewhere, 'variant.yaml'), "plugins: ['@apogee/variant-dpo-apo']\n");
    const bin = path.join(app, 'node_modules', '@apogee', 'cli', 'bin', 'apogee.cjs');
    const r = apogee(bin, ['config', 'validate', 'variant.yaml'], elsewhere);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    fs.writeFileSync(path.join(elsewhere, 'typo.yaml'), 'plugins: [mylenght]\n');
    const typo = apogee(bin, ['config', 'validate', 'typo.yaml'], elsewhere);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(`looked for "apogee-plugin-mylenght" and "mylenght" from ${elsewhere} (config file's directory)`);
    expect(typo.stderr).toContain("(apogee's own installation)");
  });

  it('refuses a path-like plugin name without executing it, in config validate and in run', () => {
    const tripwire = path.join(tmp, 'tripwire.txt');
    fs.writeFileSync(path.join(elsewhere, 'evil.js'), `require('fs').writeFileSync(${JSON.stringify(tripwire)}, 'ran'); module.exports = () => ({ name: 'evil', provides: [], register() {} });`);
    fs.writeFileSync(path.join(elsewhere, 'evil.yaml'), `plugins: [./evil.js, ${JSON.stringify(path.join(elsewhere, 'evil.js'))}]\n`);
    const bin = path.join(app, 'node_modules', '@apogee', 'cli', 'bin', 'apogee.cjs');
    for (const cmd of [['config', 'validate', 'evil.yaml'], ['run', '--config', 'evil.yaml', '--out', 'evil-run']]) {
      const r = apogee(bin, cmd, elsewhere);
      expect({ cmd: cmd[0], code: r.code }).toEqual({ cmd: cmd[0], code: 2 });
      expect(r.stderr).toContain('plugins[0]: Plugin "./evil.js" is a path, and only package names load unless the config trusts a path: nothing was run.');
      expect(r.stderr).toContain('localPlugins');
    }
    expect(fs.existsSync(tripwire)).toBe(false);
    // Listed under localPlugins, the same file loads.
    fs.writeFileSync(path.join(elsewhere, 'trusted.yaml'), 'localPlugins: [./evil.js]\nplugins: [./evil.js]\n');
    expect(apogee(bin, ['config', 'validate', 'trusted.yaml'], elsewhere).code).toBe(0);
    expect(fs.existsSync(tripwire)).toBe(true);
  });
});
