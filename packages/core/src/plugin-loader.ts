import { realpathSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginRef } from './config';
import { ApogeeError, ERROR_CODES } from './errors';
import { applyPlugin, assertPlugin, type AnyPluginFactory, type ApoPlugin } from './plugin';

/**
 * Plugins named in config are npm packages, resolved the way the ecosystem resolves them
 * (docs/decisions/0090-publishing-and-plugin-resolution.md):
 * - a built-in short name (`dpo-apo`) first;
 * - otherwise a package name, looked up in each directory of `paths` in turn (the CLI passes the
 *   config file's directory, the current directory, then its own installation); a short name is
 *   normalised as ESLint and Babel do: `mylength` is `apogee-plugin-mylength`, then `mylength`;
 *   `@acme/x` is `@acme/apogee-plugin-x`, then `@acme/x`; `@acme` is `@acme/apogee-plugin`;
 * - a package's code runs only once its package.json says it is an apogee plugin: the keyword
 *   `apogee-plugin` or an `apogee` field;
 * - a path (`./x.js`, `/tmp/x.js`, `../p`) loads only when the config lists it in `localPlugins`,
 *   relative to the config file;
 * - a plugin that would load its own copy of tsyringe is refused with the two paths named.
 * Nothing is required before all of that has been checked, so a name alone never runs code.
 */
export interface LoadPluginsOptions {
  /** Directories to resolve plugin packages from, in order (default: the current directory). */
  paths?: readonly string[];
  /** One directory to resolve from; the same as `paths: [resolveFrom]`. */
  resolveFrom?: string;
  /** Labels for `paths` in errors (`config file's directory`, …), index for index. */
  pathLabels?: readonly string[];
  /** Plugins known by short name without npm (e.g. built-ins); checked first. */
  builtins?: Readonly<Record<string, AnyPluginFactory>>;
  /** Files or package directories the config trusts as plugins, relative to `baseDir`. */
  localPlugins?: readonly string[];
  /** What `localPlugins` are relative to: the config file's directory (default: the current directory). */
  baseDir?: string;
}

/** Where a name in `plugins` points, found without running any of its code. */
export interface ResolvedPlugin {
  /** The name as written in config. */
  name: string;
  kind: 'builtin' | 'package' | 'local';
  /** The npm package (for `package`, and for `local` directories with a package.json). */
  package?: string;
  version?: string;
  /** The package directory (or the local file). */
  dir?: string;
  /** The file `require`/`import` loads. */
  entry?: string;
}

/** A plugin created from config, with where it came from (for the run's config.yaml). */
export interface LoadedPlugin {
  plugin: ApoPlugin;
  resolved: ResolvedPlugin;
}

/** The package.json keyword that marks an npm package as an apogee plugin. */
export const PLUGIN_KEYWORD = 'apogee-plugin';
/** The prefix a short plugin name is completed with (`mylength` → `apogee-plugin-mylength`). */
export const PLUGIN_PREFIX = 'apogee-plugin';

const PACKAGE_NAME = /^(?:@[a-z0-9~][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*$/;

/** Whether a name in `plugins` is a file path rather than a package name. */
export function isPathLike(name: string): boolean {
  return /^(\.{1,2}([/\\]|$)|[/\\~]|[a-zA-Z]:[/\\]|file:)/.test(name) || /\.(c|m)?[jt]s$/.test(name) || name.includes('\\');
}

/** The package names a plugin name may stand for, in the order they are tried. */
export function pluginPackageCandidates(name: string): string[] {
  const scoped = /^(@[^/]+)(?:\/(.+))?$/.exec(name);
  if (scoped) {
    const [, scope, rest] = scoped;
    if (rest === undefined) return [`${scope}/${PLUGIN_PREFIX}`];
    return rest.startsWith(PLUGIN_PREFIX) ? [name] : [`${scope}/${PLUGIN_PREFIX}-${rest}`, name];
  }
  return name.startsWith(`${PLUGIN_PREFIX}-`) ? [name] : [`${PLUGIN_PREFIX}-${name}`, name];
}

interface Manifest {
  name?: string;
  version?: string;
  keywords?: unknown;
  apogee?: unknown;
  main?: string;
  exports?: unknown;
  type?: string;
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Whether a package.json says its package is an apogee plugin (keyword or `apogee` field). */
export function isPluginManifest(pkg: { keywords?: unknown; apogee?: unknown } | undefined): boolean {
  if (!pkg) return false;
  return (Array.isArray(pkg.keywords) && pkg.keywords.includes(PLUGIN_KEYWORD)) || (typeof pkg.apogee === 'object' && pkg.apogee !== null);
}

/** The directory of package `name` as Node finds it from `from`: the nearest `node_modules/name`. */
function findPackageDir(name: string, from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (readManifest(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The entry file of the package in `dir` (CommonJS resolution, then its `import` export). */
function packageEntry(name: string, dir: string, pkg: Manifest): string {
  try {
    // From the directory whose node_modules holds it, Node finds this same package first.
    const owner = path.resolve(dir, name.startsWith('@') ? '../../..' : '../..');
    return createRequire(path.join(owner, 'noop.js')).resolve(name);
  } catch {
    // An ES-module-only package (`exports` with an "import" condition only).
    const pick = (e: unknown): string | undefined => {
      if (typeof e === 'string') return e;
      if (Array.isArray(e)) return e.map(pick).find((x) => x !== undefined);
      if (e && typeof e === 'object') {
        const o = e as Record<string, unknown>;
        if ('.' in o) return pick(o['.']);
        for (const c of ['node', 'import', 'default', 'require']) if (c in o) return pick(o[c]);
      }
      return undefined;
    };
    const target = pick(pkg.exports) ?? pkg.main ?? 'index.js';
    return path.join(dir, target);
  }
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The tsyringe a directory's code would load, or undefined when it resolves none. */
function tsyringeFrom(dir: string): string | undefined {
  try {
    return realpath(createRequire(path.join(dir, 'noop.js')).resolve('tsyringe'));
  } catch {
    return undefined;
  }
}

let ownTsyringe: string | undefined;

/** Refuse a plugin whose code would load a second copy of tsyringe (its registrations would be invisible). */
function checkTsyringe(r: ResolvedPlugin): void {
  if (!r.dir) return;
  ownTsyringe ??= tsyringeFrom(__dirname);
  const theirs = tsyringeFrom(statSync(r.dir).isDirectory() ? r.dir : path.dirname(r.dir));
  if (!ownTsyringe || !theirs || theirs === ownTsyringe) return;
  throw new ApogeeError(
    ERROR_CODES.PLUGIN_INVALID,
    `Plugin "${r.name}" would load its own copy of tsyringe (${theirs}), not the one apogee uses (${ownTsyringe}): the classes it registers would be unknown to the run's container ("TypeInfo not known for …").`,
    {
      hint: 'Make tsyringe a peerDependency of the plugin (not a dependency), then reinstall or run `npm dedupe`; `npm ls tsyringe` shows every copy.',
    },
  );
}

function searchPaths(options: LoadPluginsOptions): { dir: string; label: string }[] {
  const dirs = options.paths ?? [options.resolveFrom ?? process.cwd()];
  const seen = new Set<string>();
  const out: { dir: string; label: string }[] = [];
  dirs.forEach((d, i) => {
    const dir = path.resolve(d);
    if (seen.has(realpath(dir))) return;
    seen.add(realpath(dir));
    out.push({ dir, label: options.pathLabels?.[i] ?? '' });
  });
  return out;
}

/** Find where a name in `plugins` points, checking every rule above; runs none of its code. */
export function resolvePlugin(name: string, options: LoadPluginsOptions = {}): ResolvedPlugin {
  if (options.builtins?.[name]) return { name, kind: 'builtin' };
  if (isPathLike(name)) return resolveLocal(name, options);
  if (!PACKAGE_NAME.test(name)) {
    throw new ApogeeError(ERROR_CODES.PLUGIN_INVALID, `Plugin "${name}" is not a package name.`, {
      hint: 'Name a plugin by its npm package name (e.g. "apogee-plugin-mylength", or "mylength" for short), or a file of your own listed under "localPlugins".',
    });
  }
  const candidates = pluginPackageCandidates(name);
  const unmarked: string[] = [];
  for (const { dir } of searchPaths(options)) {
    for (const candidate of candidates) {
      const pkgDir = findPackageDir(candidate, dir);
      if (!pkgDir) continue;
      const pkg = readManifest(pkgDir)!;
      if (!isPluginManifest(pkg)) {
        unmarked.push(`${candidate} (${pkgDir})`);
        continue;
      }
      const resolved: ResolvedPlugin = { name, kind: 'package', package: pkg.name ?? candidate, version: pkg.version, dir: pkgDir, entry: packageEntry(candidate, pkgDir, pkg) };
      checkTsyringe(resolved);
      return resolved;
    }
  }
  if (unmarked.length > 0) {
    throw new ApogeeError(
      ERROR_CODES.PLUGIN_INVALID,
      `Plugin "${name}": ${unmarked.join(' and ')} ${unmarked.length === 1 ? 'is' : 'are'} installed but not marked as an apogee plugin, so none of ${unmarked.length === 1 ? 'its' : 'their'} code was run.`,
      {
        hint: `A plugin package says it is one in its package.json: "keywords": ["${PLUGIN_KEYWORD}"] (or an "apogee" field). For a file of your own, list its path under "localPlugins".`,
      },
    );
  }
  const looked = searchPaths(options).map(({ dir, label }) => `${dir}${label ? ` (${label})` : ''}`);
  throw new ApogeeError(ERROR_CODES.PLUGIN_NOT_FOUND, `Plugin "${name}" is not installed: looked for ${candidates.map((c) => `"${c}"`).join(' and ')} from ${looked.join(', then ')}.`, {
    hint: `Install it with \`npm install ${candidates[0]}\` next to your config, or check the name in "plugins" (\`apogee plugins\` lists what is installed).`,
  });
}

function resolveLocal(name: string, options: LoadPluginsOptions): ResolvedPlugin {
  const base = path.resolve(options.baseDir ?? process.cwd());
  const target = path.resolve(base, name.replace(/^file:(\/\/)?/, ''));
  const trusted = (options.localPlugins ?? []).some((p) => path.resolve(base, p) === target);
  if (!trusted) {
    throw new ApogeeError(ERROR_CODES.PLUGIN_INVALID, `Plugin "${name}" is a path, and only package names load unless the config trusts a path: nothing was run.`, {
      hint: `To load a plugin file of your own, list it in the config under "localPlugins" (paths relative to the config file), e.g.\n  localPlugins: [${JSON.stringify(name)}]\nOtherwise install the plugin with npm and name its package.`,
    });
  }
  let stat;
  try {
    stat = statSync(target);
  } catch {
    throw new ApogeeError(ERROR_CODES.PLUGIN_NOT_FOUND, `Local plugin "${name}" does not exist (${target}).`, {
      hint: 'localPlugins paths are relative to the config file.',
    });
  }
  if (stat.isDirectory()) {
    const pkg = readManifest(target);
    let entry: string;
    try {
      entry = createRequire(path.join(target, 'noop.js')).resolve(target);
    } catch (cause) {
      throw new ApogeeError(ERROR_CODES.PLUGIN_NOT_FOUND, `Local plugin "${name}" (${target}) has no entry file.`, {
        hint: 'Point localPlugins at a .js file, or at a package directory whose package.json "main" exists (build it first).',
        cause,
      });
    }
    return { name, kind: 'local', package: pkg?.name, version: pkg?.version, dir: target, entry };
  }
  return { name, kind: 'local', dir: target, entry: target };
}

async function importEntry(r: ResolvedPlugin): Promise<unknown> {
  const entry = r.entry!;
  const failed = (e: unknown) =>
    new ApogeeError(ERROR_CODES.PLUGIN_INVALID, `Plugin "${r.name}" failed to load: ${(e as Error).message}`, {
      hint: 'Check that the package is built and its dependencies are installed.',
      cause: e,
    });
  try {
    return createRequire(entry)(entry);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw failed(e);
  }
  // An ES module: the same error for one that throws while it loads.
  try {
    return await import(pathToFileURL(entry).href);
  } catch (e) {
    throw failed(e);
  }
}

/** Find the plugin export: `default`, `plugin`, or the module itself; unwrap CJS/ESM interop. */
function pickExport(mod: unknown): unknown {
  let m = mod as Record<string, unknown> | undefined;
  for (let i = 0; i < 2 && m && typeof m === 'object' && 'default' in m; i++) m = m.default as Record<string, unknown>;
  if (m && typeof m === 'object' && 'plugin' in m) return m.plugin;
  return m;
}

/** Load one plugin named in config, with where it came from. */
export async function loadPluginWithSource(ref: PluginRef, options: LoadPluginsOptions = {}): Promise<LoadedPlugin> {
  const [name, pluginOptions] = typeof ref === 'string' ? [ref, undefined] : ref;
  const resolved = resolvePlugin(name, options);
  if (resolved.kind === 'builtin') {
    return { plugin: assertPlugin(applyPlugin(options.builtins![name], pluginOptions), `Built-in plugin "${name}"`), resolved };
  }
  const exported = pickExport(await importEntry(resolved));
  const value = typeof exported === 'function' ? (exported as (o?: unknown) => unknown)(pluginOptions) : exported;
  if (typeof exported !== 'function' && pluginOptions !== undefined) {
    throw new ApogeeError(ERROR_CODES.PLUGIN_INVALID, `Plugin "${name}" exports a plugin object, so it takes no options.`, {
      hint: `Name it as "${name}" without options, or export a definePlugin factory.`,
    });
  }
  return { plugin: assertPlugin(value, `The export of ${resolved.kind === 'local' ? 'local plugin' : 'package'} "${resolved.package ?? name}"`), resolved };
}

/** Load one plugin named in config. */
export async function loadPlugin(ref: PluginRef, options: LoadPluginsOptions = {}): Promise<ApoPlugin> {
  return (await loadPluginWithSource(ref, options)).plugin;
}

/** Load every plugin named in config, in order. */
export async function loadPlugins(refs: readonly PluginRef[], options: LoadPluginsOptions = {}): Promise<ApoPlugin[]> {
  const out: ApoPlugin[] = [];
  for (const ref of refs) out.push(await loadPlugin(ref, options));
  return out;
}
