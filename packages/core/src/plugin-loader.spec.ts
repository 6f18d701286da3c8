import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES } from './errors';
import { loadPluginWithSource, loadPlugins, pluginPackageCandidates, resolvePlugin } from './plugin-loader';

function catchSync(f: () => unknown): ApogeeError {
  try {
    f();
  } catch (e) {
    return e as ApogeeError;
  }
  throw new Error('expected an error');
}
import { createRun } from './run';

/** A scratch project outside the workspace with plugin packages in its node_modules. */
function scratchProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-plugins-'));
  const write = (pkg: string, files: Record<string, string>) => {
    const root = path.join(dir, 'node_modules', pkg);
    fs.mkdirSync(root, { recursive: true });
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(root, f), text);
  };
  // A factory plugin, as definePlugin produces, written in plain CommonJS by a third party.
  write('apogee-plugin-echo', {
    'package.json': JSON.stringify({ name: 'apogee-plugin-echo', version: '2.0.1', keywords: ['apogee-plugin'], main: 'index.js' }),
    'index.js': `
      const ECHO = Symbol.for('apogee-plugin-echo:Echo');
      module.exports = function echoPlugin(options = {}) {
        return { name: 'echo', provides: [ECHO], options,
          register(c) { c.register(ECHO, { useValue: 'echo:' + (options.word || 'none') }); } };
      };`,
  });
  // An ES module plugin object exported as default.
  write('apogee-plugin-esm', {
    'package.json': JSON.stringify({ name: 'apogee-plugin-esm', type: 'module', apogee: {}, exports: './index.js' }),
    'index.js': `export default { name: 'esm', provides: [], register(c) { c.register(Symbol.for('x:esm'), { useValue: 1 }); } };`,
  });
  // An ES module that throws while it loads.
  write('apogee-plugin-esm-throws', {
    'package.json': JSON.stringify({ name: 'apogee-plugin-esm-throws', keywords: ['apogee-plugin'], type: 'module', exports: './index.js' }),
    'index.js': `throw new Error('boom at import');`,
  });
  // Malformed: no register function.
  write('apogee-plugin-broken', {
    'package.json': JSON.stringify({ name: 'apogee-plugin-broken', keywords: ['apogee-plugin'], main: 'index.js' }),
    'index.js': `module.exports = { default: { name: 'broken' } };`,
  });
  // Ordinary installed modules: their top-level code must never run as a plugin.
  const tripwire = path.join(dir, 'ran.txt');
  const trap = `require('fs').appendFileSync(${JSON.stringify(tripwire)}, 'ran\\n'); module.exports = () => { require('fs').appendFileSync(${JSON.stringify(tripwire)}, 'called\\n'); };`;
  write('left-pad', { 'package.json': JSON.stringify({ name: 'left-pad', main: 'index.js' }), 'index.js': trap });
  write('apogee-plugin-unmarked', { 'package.json': JSON.stringify({ name: 'apogee-plugin-unmarked', main: 'index.js' }), 'index.js': trap });
  // A scoped plugin found by its short name.
  write('@acme/apogee-plugin-judge', {
    'package.json': JSON.stringify({ name: '@acme/apogee-plugin-judge', version: '0.3.0', keywords: ['apogee-plugin'], main: 'index.js' }),
    'index.js': `module.exports = (o) => ({ name: 'judge', provides: [], options: o, register() {} });`,
  });
  fs.writeFileSync(path.join(dir, 'evil.js'), trap);
  return dir;
}

describe('loadPlugins', () => {
  const dir = scratchProject();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads plugins from npm packages by name, with and without options', async () => {
    const plugins = await loadPlugins(['apogee-plugin-echo', ['apogee-plugin-echo', { word: 'hi' }]], { resolveFrom: dir });
    expect(plugins.map((p) => p.name)).toEqual(['echo', 'echo']);
    const run = await createRun({ plugins });
    expect(run.container.resolve(Symbol.for('apogee-plugin-echo:Echo'))).toBe('echo:hi');
    await run.dispose();
  });

  it('loads an ES-module plugin in plain Node (outside the jest module sandbox); one that throws is PLUGIN_INVALID', () => {
    // jest's module registry cannot evaluate ESM without a flag, so this runs in a real node.
    const script = `
      const { loadPlugins, createRun } = require(${JSON.stringify(path.join(__dirname, 'index.ts'))});
      const from = { resolveFrom: ${JSON.stringify(dir)} };
      loadPlugins(['apogee-plugin-esm'], from)
        .then((ps) => createRun({ plugins: ps }))
        .then(async (run) => {
          const failure = await loadPlugins(['apogee-plugin-esm-throws'], from).then(() => null, (e) => [e.name, e.code, e.message]);
          console.log(JSON.stringify([run.plugins[0].name, run.container.resolve(Symbol.for('x:esm')), failure]));
        });`;
    const out = execFileSync(process.execPath, ['--require', 'reflect-metadata', '--import', 'tsx', '--conditions=@apogee/source', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim())).toEqual(['esm', 1, ['ApogeeError', ERROR_CODES.PLUGIN_INVALID, 'Plugin "apogee-plugin-esm-throws" failed to load: boom at import']]);
  });

  it('fails with an error naming the package and what is missing', async () => {
    const err = (await loadPlugins(['apogee-plugin-broken'], { resolveFrom: dir }).catch((e) => e)) as ApogeeError;
    expect(err).toBeInstanceOf(ApogeeError);
    expect(err.code).toBe(ERROR_CODES.PLUGIN_INVALID);
    expect(err.message).toContain('apogee-plugin-broken');
    expect(err.message).toContain('has no "register(container)" function');
  });

  it('says how to install a plugin that is not there', async () => {
    const err = (await loadPlugins(['apogee-plugin-missing'], { resolveFrom: dir }).catch((e) => e)) as ApogeeError;
    expect(err.code).toBe(ERROR_CODES.PLUGIN_NOT_FOUND);
    expect(err.hint).toContain('npm install apogee-plugin-missing');
  });

  it('completes short names as ESLint does: mylength → apogee-plugin-mylength, @scope/x → @scope/apogee-plugin-x', () => {
    expect(pluginPackageCandidates('echo')).toEqual(['apogee-plugin-echo', 'echo']);
    expect(pluginPackageCandidates('apogee-plugin-echo')).toEqual(['apogee-plugin-echo']);
    expect(pluginPackageCandidates('@acme/judge')).toEqual(['@acme/apogee-plugin-judge', '@acme/judge']);
    expect(pluginPackageCandidates('@acme')).toEqual(['@acme/apogee-plugin']);
    expect(resolvePlugin('echo', { resolveFrom: dir })).toMatchObject({ kind: 'package', package: 'apogee-plugin-echo', version: '2.0.1' });
    expect(resolvePlugin('@acme/judge', { resolveFrom: dir })).toMatchObject({ package: '@acme/apogee-plugin-judge', version: '0.3.0' });
  });

  it('looks in each directory in turn and says where it looked', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-empty-'));
    try {
      expect(resolvePlugin('echo', { paths: [empty, dir] }).dir).toBe(path.join(dir, 'node_modules', 'apogee-plugin-echo'));
      const err = catchSync(() => resolvePlugin('nope', { paths: [empty, dir], pathLabels: ["config file's directory", 'current directory'] }));
      expect(err.code).toBe(ERROR_CODES.PLUGIN_NOT_FOUND);
      expect(err.message).toBe(
        `Plugin "nope" is not installed: looked for "apogee-plugin-nope" and "nope" from ${empty} (config file's directory), then ${dir} (current directory).`,
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('runs no code of a package that is not marked as a plugin, nor of a path the config does not trust', async () => {
    const tripwire = path.join(dir, 'ran.txt');
    for (const name of ['left-pad', 'unmarked', path.join(dir, 'evil.js'), '../evil.js', './evil.js']) {
      const err = (await loadPlugins([[name, { x: 1 }]], { resolveFrom: dir, baseDir: dir }).catch((e) => e)) as ApogeeError;
      expect({ name, code: err.code }).toEqual({ name, code: ERROR_CODES.PLUGIN_INVALID });
    }
    expect(fs.existsSync(tripwire)).toBe(false);
    const err = catchSync(() => resolvePlugin('left-pad', { resolveFrom: dir }));
    expect(err.message).toContain('is installed but not marked as an apogee plugin, so none of its code was run');
    expect(err.hint).toContain('"keywords": ["apogee-plugin"]');
    expect(catchSync(() => resolvePlugin('./evil.js', { baseDir: dir })).hint).toContain('localPlugins: ["./evil.js"]');
    expect(catchSync(() => resolvePlugin('left-pad/index', { resolveFrom: dir })).message).toBe('Plugin "left-pad/index" is not a package name.');
  });

  it('loads a path listed in localPlugins, relative to the config directory', async () => {
    const local = path.join(dir, 'local');
    fs.mkdirSync(local, { recursive: true });
    fs.writeFileSync(path.join(local, 'mine.js'), `module.exports = (o) => ({ name: 'mine', provides: [], options: o, register() {} });`);
    const loaded = await loadPluginWithSource(['./local/mine.js', { k: 2 }], { baseDir: dir, localPlugins: ['local/mine.js'] });
    expect(loaded.plugin).toMatchObject({ name: 'mine', options: { k: 2 } });
    expect(loaded.resolved).toMatchObject({ kind: 'local', entry: path.join(local, 'mine.js') });
  });

  it('refuses a plugin that would load a second copy of tsyringe, naming both', () => {
    const pkg = path.join(dir, 'node_modules', 'apogee-plugin-twin');
    fs.mkdirSync(path.join(pkg, 'node_modules', 'tsyringe'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'apogee-plugin-twin', keywords: ['apogee-plugin'], main: 'index.js' }));
    fs.writeFileSync(path.join(pkg, 'index.js'), 'module.exports = {};');
    fs.writeFileSync(path.join(pkg, 'node_modules', 'tsyringe', 'package.json'), JSON.stringify({ name: 'tsyringe', version: '4.9.0', main: 'index.js' }));
    fs.writeFileSync(path.join(pkg, 'node_modules', 'tsyringe', 'index.js'), '');
    const err = catchSync(() => resolvePlugin('twin', { resolveFrom: dir }));
    expect(err.message).toContain(`would load its own copy of tsyringe (${fs.realpathSync(path.join(pkg, 'node_modules', 'tsyringe', 'index.js'))})`);
    expect(err.hint).toContain('peerDependency');
  });

  it('prefers built-ins by short name', async () => {
    const [p] = await loadPlugins([['mine', { a: 1 }]], {
      builtins: { mine: (o) => ({ name: 'mine', provides: [], options: o, register() {} }) },
    });
    expect(p.options).toEqual({ a: 1 });
  });
});
