import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, loadPlugins } from '@apogee/core';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { tempDir } from '../testing/fixtures';
import { checkPluginRefs, cliInstallDir, suggestPlugin } from './check-plugins';
import { builtinFactories, builtinPlugins, installedPlugins } from './registry';

function fakePackage(root: string, name: string, pkg: Record<string, unknown>, main = 'module.exports = {};') {
  const dir = path.join(root, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', main: 'index.js', ...pkg }));
  writeFileSync(path.join(dir, 'index.js'), main);
}

describe('plugins', () => {
  it('the built-in registry holds every variant, the game, data, models, samplers, losses and eval, each a real factory', () => {
    const names = builtinPlugins().map((p) => p.name);
    for (const n of ['golden-sft', 'rjs', 'rjs-apo', 'dpo', 'dpo-apo', 'rrhf', 'rrhf-apo', 'apo-game', 'world-data-source', 'gold-judge', 'evaluator', 'file-data-source', 'byte-tokenizer', 'gpt-policy', 'sampler', 'eval-sampler', 'dpo-loss', 'apo-reward-loss']) {
      expect(names).toContain(n);
    }
    expect(new Set(names).size).toBe(names.length);
    // Each factory makes a plugin of its own name.
    for (const p of builtinPlugins()) {
      if (['hf-tokenizer', 'file-data-source', 'reward-model-judge'].includes(p.name)) continue; // need options (files)
      expect(p.factory().name).toBe(p.name);
    }
  });

  it('core loadPlugins resolves built-in names through the registry, with options', async () => {
    const [game, loss] = await loadPlugins(['apo-game', ['dpo-loss', { beta: 0.25 }]], { builtins: builtinFactories() });
    expect(game.name).toBe('apo-game');
    expect(loss.options).toMatchObject({ beta: 0.25 });
  });

  it('finds installed plugins by the "apogee-plugin" keyword and accepts them in config', () => {
    const t = tempDir();
    try {
      fakePackage(t.dir, 'apogee-plugin-shout', { keywords: ['apogee-plugin'], description: 'loud sampler' });
      fakePackage(t.dir, '@acme/apogee-judge', { keywords: ['rlhf', 'apogee-plugin'] });
      fakePackage(t.dir, 'left-pad', { keywords: ['string'] });
      expect(installedPlugins(t.dir).map((p) => `${p.name}@${p.version}`)).toEqual(['@acme/apogee-judge@1.2.3', 'apogee-plugin-shout@1.2.3']);
      expect(() => checkPluginRefs(['dpo-apo', 'apogee-plugin-shout', ['@acme/apogee-judge', {}]], { lookup: { cwd: t.dir } })).not.toThrow();
      let err: unknown;
      try {
        checkPluginRefs(['dpo-apo', 'apogee-plugin-shuot', 'nothing-like-it-at-all'], { lookup: { cwd: t.dir } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApogeeError);
      const e = err as ApogeeError;
      expect(e.code).toBe('APOGEE_PLUGIN_NOT_FOUND');
      const looked = `from ${t.dir} (current directory), then ${cliInstallDir()} (apogee's own installation)`;
      expect(e.problems).toEqual([
        { path: 'plugins[1]', message: `unknown plugin "apogee-plugin-shuot"; did you mean "apogee-plugin-shout"?; looked for "apogee-plugin-shuot" ${looked}` },
        { path: 'plugins[2]', message: `unknown plugin "nothing-like-it-at-all"; looked for "apogee-plugin-nothing-like-it-at-all" and "nothing-like-it-at-all" ${looked}` },
      ]);
    } finally {
      t.cleanup();
    }
  });

  it('suggests only plausible typos', () => {
    const known = builtinPlugins().map((p) => p.name);
    expect(suggestPlugin('rrhf-ap', known)).toBe('rrhf-apo');
    expect(suggestPlugin('dpoapo', known)).toBe('dpo-apo');
    expect(suggestPlugin('completely-different-thing', known)).toBeUndefined();
  });

  it('`apogee plugins` lists built-ins and installed plugins (table and --json)', async () => {
    const t = tempDir();
    try {
      fakePackage(t.dir, 'apogee-plugin-shout', { keywords: ['apogee-plugin'], description: 'loud sampler' });
      const io = memoryIo(t.dir);
      expect(await runCli(['plugins'], { io })).toBe(0);
      expect(io.stdout).toMatch(/^ {2}dpo-apo +@apogee\/variant-dpo-apo +@apogee\/core:/m);
      expect(io.stdout).toContain('  apogee-plugin-shout@1.2.3  loud sampler');
      const json = memoryIo(t.dir);
      expect(await runCli(['plugins', '--json'], { io: json })).toBe(0);
      const parsed = JSON.parse(json.stdout);
      expect(parsed.installed).toEqual([{ name: 'apogee-plugin-shout', version: '1.2.3', description: 'loud sampler' }]);
      expect(parsed.builtin.find((p: { name: string }) => p.name === 'apo-game').provides).toContain('@apogee/core:GameController');
    } finally {
      t.cleanup();
    }
  });
});
