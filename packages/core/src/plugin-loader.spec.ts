import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES } from './errors';
import { loadPlugins } from './plugin-loader';
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
    'package.json': JSON.stringify({ name: 'apogee-plugin-echo', main: 'index.js' }),
    'index.js': `
      const ECHO = Symbol.for('apogee-plugin-echo:Echo');
      module.exports = function echoPlugin(options = {}) {
        return { name: 'echo', provides: [ECHO], options,
          register(c) { c.register(ECHO, { useValue: 'echo:' + (options.word || 'none') }); } };
      };`,
  });
  // An ES module plugin object exported as default.
  write('apogee-plugin-esm', {
    'package.json': JSON.stringify({ name: 'apogee-plugin-esm', type: 'module', exports: './index.js' }),
    'index.js': `export default { name: 'esm', provides: [], register(c) { c.register(Symbol.for('x:esm'), { useValue: 1 }); } };`,
  });
  // An ES module that throws while it loads.
  write('apogee-plugin-esm-throws', {
    'package.json': JSON.stringify({ name: 'apogee-plugin-esm-throws', type: 'module', exports: './index.js' }),
    'index.js': `throw new Error('boom at import');`,
  });
  // Malformed: no register function.
  write('apogee-plugin-broken', {
    'package.json': JSON.stringify({ name: 'apogee-plugin-broken', main: 'index.js' }),
    'index.js': `module.exports = { default: { name: 'broken' } };`,
  });
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

  it('prefers built-ins by short name', async () => {
    const [p] = await loadPlugins([['mine', { a: 1 }]], {
      builtins: { mine: (o) => ({ name: 'mine', provides: [], options: o, register() {} }) },
    });
    expect(p.options).toEqual({ a: 1 });
  });
});
