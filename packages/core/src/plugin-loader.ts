import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginRef } from './config';
import { ApogeeError, ERROR_CODES } from './errors';
import { applyPlugin, assertPlugin, type AnyPluginFactory, type ApoPlugin } from './plugin';

export interface LoadPluginsOptions {
  /** Directory whose node_modules are searched (default: the current working directory). */
  resolveFrom?: string;
  /** Plugins known by short name without npm (e.g. built-ins); checked first. */
  builtins?: Readonly<Record<string, AnyPluginFactory>>;
}

async function importModule(specifier: string, resolveFrom: string): Promise<unknown> {
  const req = createRequire(path.join(path.resolve(resolveFrom), 'noop.js'));
  let resolved: string;
  try {
    resolved = req.resolve(specifier);
  } catch (cause) {
    throw new ApogeeError(ERROR_CODES.PLUGIN_NOT_FOUND, `Plugin "${specifier}" is not installed (looked from ${resolveFrom}).`, {
      hint: `Install it with \`npm install ${specifier}\`, or check the name in "plugins".`,
      cause,
    });
  }
  const failed = (e: unknown) =>
    new ApogeeError(ERROR_CODES.PLUGIN_INVALID, `Plugin "${specifier}" failed to load: ${(e as Error).message}`, {
      hint: 'Check that the package is built and its dependencies are installed.',
      cause: e,
    });
  try {
    return req(resolved);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw failed(e);
  }
  // An ES module: the same error for one that throws while it loads.
  try {
    return await import(pathToFileURL(resolved).href);
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

/** Load one plugin named in config. */
export async function loadPlugin(ref: PluginRef, options: LoadPluginsOptions = {}): Promise<ApoPlugin> {
  const [name, pluginOptions] = typeof ref === 'string' ? [ref, undefined] : ref;
  const builtin = options.builtins?.[name];
  if (builtin) return assertPlugin(applyPlugin(builtin, pluginOptions), `Built-in plugin "${name}"`);
  const exported = pickExport(await importModule(name, options.resolveFrom ?? process.cwd()));
  const value = typeof exported === 'function' ? (exported as (o?: unknown) => unknown)(pluginOptions) : exported;
  if (typeof exported !== 'function' && pluginOptions !== undefined) {
    throw new ApogeeError(ERROR_CODES.PLUGIN_INVALID, `Plugin "${name}" exports a plugin object, so it takes no options.`, {
      hint: `Name it as "${name}" without options, or export a definePlugin factory.`,
    });
  }
  return assertPlugin(value, `The export of package "${name}"`);
}

/** Load every plugin named in config, in order. */
export async function loadPlugins(refs: readonly PluginRef[], options: LoadPluginsOptions = {}): Promise<ApoPlugin[]> {
  const out: ApoPlugin[] = [];
  for (const ref of refs) out.push(await loadPlugin(ref, options));
  return out;
}
