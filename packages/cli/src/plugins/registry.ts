import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AnyPluginFactory, ApoPlugin, KnownPlugin, Token } from '@apogee/core';
import { isPluginManifest, PLUGIN_KEYWORD, tokenName } from '@apogee/core';
import { LOSS_PLUGINS } from '@apogee/losses';
import { SAMPLER_PLUGINS } from '@apogee/samplers';
import { fileDataSource } from '@apogee/data';
import { evaluator, rewardModelJudge } from '@apogee/eval';
import { apoGame } from '@apogee/game';
import { gptPolicy, hfPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { byteTokenizer, hfTokenizer } from '@apogee/tokenizers';
import { dpoUpdate, goldenSftUpdate, rjsUpdate, rrhfUpdate } from '@apogee/updates';
import { goldJudge, worldDataSource } from '@apogee/world';
import { dpo } from '@apogee/variant-dpo';
import { dpoApo } from '@apogee/variant-dpo-apo';
import { goldenSft } from '@apogee/variant-golden-sft';
import { rjs } from '@apogee/variant-rjs';
import { rjsApo } from '@apogee/variant-rjs-apo';
import { rrhf } from '@apogee/variant-rrhf';
import { rrhfApo } from '@apogee/variant-rrhf-apo';

/** One built-in plugin: its config name, factory and the package that exports it. */
export interface BuiltinPlugin {
  name: string;
  package: string;
  factory: AnyPluginFactory;
  /** Names of the tokens it registers. */
  provides: string[];
}

/** A package in node_modules whose package.json marks it as a plugin (keyword `apogee-plugin` or an `apogee` field). */
export interface InstalledPlugin {
  name: string;
  version: string;
  description?: string;
  dir: string;
}

/** The keyword that marks an npm package as an apogee plugin (`apogee plugins` lists them). */
export { PLUGIN_KEYWORD };

function entries(pkg: string, factories: Readonly<Record<string, unknown>> | readonly unknown[]): BuiltinPlugin[] {
  const list = Array.isArray(factories) ? factories.map((f) => [(f as AnyPluginFactory).pluginName ?? '', f] as const) : Object.entries(factories);
  return list.map(([name, f]) => {
    const factory = f as AnyPluginFactory;
    return { name, package: pkg, factory, provides: (factory.provides ?? []).map((t) => tokenName(t)) };
  });
}

let cached: BuiltinPlugin[] | undefined;

/**
 * Every built-in plugin by config name, assembled from the packages' exported maps
 * (`LOSS_PLUGINS`, `SAMPLER_PLUGINS`) and their plugin factories (each `definePlugin` factory
 * carries its own `pluginName`). Order: data and models first, variants last.
 */
export function builtinPlugins(): readonly BuiltinPlugin[] {
  cached ??= [
    ...entries('@apogee/tokenizers', [byteTokenizer, hfTokenizer]),
    ...entries('@apogee/policy', [gptPolicy, hfPolicy]),
    ...entries('@apogee/reward', [gptReward]),
    ...entries('@apogee/samplers', SAMPLER_PLUGINS),
    ...entries('@apogee/losses', LOSS_PLUGINS),
    ...entries('@apogee/updates', [rjsUpdate, dpoUpdate, rrhfUpdate, goldenSftUpdate]),
    ...entries('@apogee/data', [fileDataSource]),
    ...entries('@apogee/world', [worldDataSource, goldJudge]),
    ...entries('@apogee/eval', [evaluator, rewardModelJudge]),
    ...entries('@apogee/game', [apoGame]),
    ...entries('@apogee/variant-golden-sft', [goldenSft]),
    ...entries('@apogee/variant-rjs', [rjs]),
    ...entries('@apogee/variant-rjs-apo', [rjsApo]),
    ...entries('@apogee/variant-dpo', [dpo]),
    ...entries('@apogee/variant-dpo-apo', [dpoApo]),
    ...entries('@apogee/variant-rrhf', [rrhf]),
    ...entries('@apogee/variant-rrhf-apo', [rrhfApo]),
  ];
  return cached;
}

/** The built-in plugins as core's `KnownPlugin`s: a missing-provider error names those that provide the token. */
export function knownPlugins(): KnownPlugin[] {
  return builtinPlugins().map((p) => ({ name: p.name, package: p.package, provides: p.factory.provides ?? [] }));
}

/** `{ name: factory }` for `loadPlugins({ builtins })`. */
export function builtinFactories(): Record<string, AnyPluginFactory> {
  return Object.fromEntries(builtinPlugins().map((p) => [p.name, p.factory]));
}

/** The `node_modules` directories a plugin named in config resolves from: `from` and its parents. */
function nodeModulesDirs(from: string): string[] {
  const out: string[] = [];
  let dir = path.resolve(from);
  for (;;) {
    const nm = path.join(dir, 'node_modules');
    if (existsSync(nm)) out.push(nm);
    const parent = path.dirname(dir);
    if (parent === dir) return out;
    dir = parent;
  }
}

function readPackage(dir: string): { name?: string; version?: string; description?: string; keywords?: unknown; apogee?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Installed plugins: packages in the `node_modules` of `from` (one directory or several, each with
 * its parents, nearest first) whose package.json marks them as apogee plugins. The packages of the
 * built-in plugins are left out: `apogee plugins` lists those by their short names.
 */
export function installedPlugins(from: string | readonly string[]): InstalledPlugin[] {
  const seen = new Map<string, InstalledPlugin>();
  const builtin = new Set(builtinPlugins().map((p) => p.package));
  for (const nm of [...new Set((typeof from === 'string' ? [from] : from).flatMap(nodeModulesDirs))]) {
    let names: string[];
    try {
      names = readdirSync(nm);
    } catch {
      continue;
    }
    const dirs = names.flatMap((n) => {
      if (n.startsWith('.')) return [];
      if (!n.startsWith('@')) return [path.join(nm, n)];
      try {
        return readdirSync(path.join(nm, n)).map((s) => path.join(nm, n, s));
      } catch {
        return [];
      }
    });
    for (const dir of dirs) {
      const pkg = readPackage(dir);
      if (!pkg?.name || seen.has(pkg.name) || builtin.has(pkg.name)) continue;
      if (!isPluginManifest(pkg)) continue;
      seen.set(pkg.name, { name: pkg.name, version: pkg.version ?? '?', description: pkg.description, dir });
    }
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}
