import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import {
  ApogeeError,
  createRun,
  ERROR_CODES,
  isApogeeError,
  loadPluginWithSource,
  pluginPackageCandidates,
  resolvePlugin,
  type ApoPlugin,
  type ApogeeConfig,
  type LoadedPlugin,
  type LoadPluginsOptions,
  type PluginRef,
  type Problem,
} from '@apogee/core';
import { builtinFactories, builtinPlugins, installedPlugins, knownPlugins } from './registry';

/** Where a config's plugins are looked up: its file, the directory apogee runs in, its local plugins. */
export interface PluginLookup {
  /** The config file (its directory is searched first; `localPlugins` are relative to it). */
  configFile?: string;
  /** The current directory. */
  cwd: string;
  /** The config's `localPlugins`. */
  localPlugins?: readonly string[];
}

/** The directory of this installation of @apogee/cli (plugins it depends on resolve from here). */
export function cliInstallDir(): string {
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === '@apogee/cli') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(__dirname, '..', '..');
    dir = parent;
  }
}

/**
 * The loader's options for a config: packages resolve from the config file's directory, then the
 * current directory, then apogee's own installation (as changesets resolves its plugins), built-in
 * short names first; `localPlugins` are relative to the config file.
 */
export function pluginLoadOptions(lookup: PluginLookup): LoadPluginsOptions {
  const configDir = lookup.configFile ? path.dirname(path.resolve(lookup.cwd, lookup.configFile)) : undefined;
  const paths = [...(configDir ? [configDir] : []), lookup.cwd, cliInstallDir()];
  const pathLabels = [...(configDir ? ["config file's directory"] : []), 'current directory', "apogee's own installation"];
  return { paths, pathLabels, builtins: builtinFactories(), localPlugins: lookup.localPlugins ?? [], baseDir: configDir ?? lookup.cwd };
}

/** The closest known plugin name, when it is close enough to be a plausible typo. */
export function suggestPlugin(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const guess = closest(name, [...known]);
  return distance(name, guess) <= Math.max(2, Math.ceil(guess.length / 3)) ? guess : undefined;
}

/**
 * Check every plugin named in a config before any work starts, running none of their code: each
 * must be a built-in name, an installed package marked as an apogee plugin, or a path listed in
 * `localPlugins`. Unknown names fail with the closest known name suggested, where they were looked
 * for and, when `locate` is given, the file:line:column of the entry.
 */
export function checkPluginRefs(
  refs: readonly PluginRef[],
  options: { lookup: PluginLookup; locate?: (p: ReadonlyArray<PropertyKey>) => string; source?: string },
): void {
  const load = pluginLoadOptions(options.lookup);
  const problems: Problem[] = [];
  let refused = false;
  let known: string[] | undefined;
  refs.forEach((ref, i) => {
    const name = typeof ref === 'string' ? ref : ref[0];
    try {
      resolvePlugin(name, load);
      return;
    } catch (e) {
      if (!isApogeeError(e)) throw e;
      const at = options.locate ? ` (${options.locate(typeof ref === 'string' ? ['plugins', i] : ['plugins', i, 0])})` : '';
      if (e.code !== ERROR_CODES.PLUGIN_NOT_FOUND || !load.paths) {
        refused = true;
        problems.push({ path: `plugins[${i}]`, message: `${e.message}${at}` });
        return;
      }
      known ??= [...builtinPlugins().map((p) => p.name), ...installedPlugins(load.paths).map((p) => p.name)];
      const guess = suggestPlugin(name, known);
      const looked = load.paths.map((d, j) => `${d} (${load.pathLabels?.[j]})`).join(', then ');
      problems.push({
        path: `plugins[${i}]`,
        message: `unknown plugin "${name}"${guess ? `; did you mean "${guess}"?` : ''}${at}; looked for ${pluginPackageCandidates(name).map((c) => `"${c}"`).join(' and ')} from ${looked}`,
      });
    }
  });
  if (problems.length > 0) {
    throw new ApogeeError(
      refused ? ERROR_CODES.PLUGIN_INVALID : ERROR_CODES.PLUGIN_NOT_FOUND,
      `${options.source ?? 'The config'} names ${problems.length === 1 ? 'a plugin' : `${problems.length} plugins`} that cannot be loaded:`,
      {
        problems,
        hint: '`apogee plugins` lists the built-in and installed plugins; install an npm plugin with `npm install NAME` next to your config; list plugin files of your own under "localPlugins".',
      },
    );
  }
}

/** One loaded plugin as a run records it (config.yaml's `provenance.plugins`). */
export interface PluginRecord {
  /** The name in config. */
  name: string;
  /** `builtin`, an npm `package`, or a `local` file. */
  kind: LoadedPlugin['resolved']['kind'];
  package?: string;
  version?: string;
  /** Where it was loaded from. */
  path?: string;
  /** Its options with every default filled in. */
  options: unknown;
}

/** Plain data for YAML: functions and class instances other than arrays and plain objects dropped. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? {}, (_k, v: unknown) => (typeof v === 'function' || typeof v === 'symbol' ? undefined : v)));
}

function builtinVersion(pkg: string): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${pkg}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The record of one loaded plugin: its package and version (built-ins: the @apogee package's). */
export function pluginRecord(loaded: LoadedPlugin): PluginRecord {
  const { resolved, plugin } = loaded;
  if (resolved.kind === 'builtin') {
    const pkg = builtinPlugins().find((p) => p.name === resolved.name)?.package;
    return { name: resolved.name, kind: 'builtin', package: pkg, version: pkg ? builtinVersion(pkg) : undefined, options: plain(plugin.options) };
  }
  return {
    name: resolved.name,
    kind: resolved.kind,
    ...(resolved.package ? { package: resolved.package } : {}),
    ...(resolved.version ? { version: resolved.version } : {}),
    path: resolved.dir,
    options: plain(plugin.options),
  };
}

/**
 * Create every plugin named in a config (validating each one's options) without applying it. An
 * invalid plugin's error gets the position of its config entry appended.
 */
export async function instantiatePlugins(
  refs: readonly PluginRef[],
  options: { lookup: PluginLookup; locate?: (p: ReadonlyArray<PropertyKey>) => string },
): Promise<LoadedPlugin[]> {
  const load = pluginLoadOptions(options.lookup);
  const out: LoadedPlugin[] = [];
  for (const [i, ref] of refs.entries()) {
    try {
      out.push(await loadPluginWithSource(ref, load));
    } catch (e) {
      if (isApogeeError(e) && options.locate) {
        const at = options.locate(typeof ref === 'string' ? ['plugins', i] : ['plugins', i, 1]);
        throw new ApogeeError(e.code, `${e.message.replace(/:$/, '')} (plugins[${i}] at ${at}):`, { problems: e.problems, hint: e.hint, cause: e });
      }
      throw e;
    }
  }
  return out;
}

/** The plugins of `instantiatePlugins`, ready for `createRun`. */
export function pluginsOf(loaded: readonly LoadedPlugin[]): ApoPlugin[] {
  return loaded.map((l) => l.plugin);
}

/**
 * `createRun` with the loaded plugins, knowing the built-in ones (a missing provider is named with
 * the built-ins that provide it). A config field that a plugin refuses as it registers (a
 * `game.apo` that disagrees with the variant) gets the field's `file:line:column` appended.
 */
export async function createRunLocated(loaded: readonly LoadedPlugin[], config: ApogeeConfig, locate?: (p: ReadonlyArray<PropertyKey>) => string): ReturnType<typeof createRun> {
  try {
    return await createRun({ plugins: pluginsOf(loaded), config, known: knownPlugins() });
  } catch (e) {
    if (!isApogeeError(e) || e.code !== ERROR_CODES.CONFIG_INVALID || !locate) throw e;
    const problems = e.problems.map((p) => ({ ...p, message: `${p.message} (${locate(p.path.split('.'))})` }));
    throw new ApogeeError(e.code, e.message, { problems, hint: e.hint, cause: e });
  }
}
