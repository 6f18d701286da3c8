import { createRequire } from 'node:module';
import * as path from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { ApogeeError, ERROR_CODES, loadPlugin, type ApoPlugin, type LoadPluginsOptions, type PluginRef, type Problem } from '@apogee/core';
import { builtinPlugins, installedPlugins } from './registry';

/** Whether `name` resolves as a package from `from` (without loading it). */
function resolvable(name: string, from: string): boolean {
  try {
    createRequire(path.join(path.resolve(from), 'noop.js')).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** The closest known plugin name, when it is close enough to be a plausible typo. */
export function suggestPlugin(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const guess = closest(name, [...known]);
  return distance(name, guess) <= Math.max(2, Math.ceil(guess.length / 3)) ? guess : undefined;
}

/**
 * Check every plugin named in a config before any work starts: each must be a built-in name or
 * a package that resolves from `from`. Unknown names fail with the closest known name suggested
 * and, when `locate` is given, the file:line:column of the entry.
 */
export function checkPluginRefs(
  refs: readonly PluginRef[],
  options: { from: string; locate?: (p: ReadonlyArray<PropertyKey>) => string; source?: string },
): void {
  const builtins = new Set(builtinPlugins().map((p) => p.name));
  const known = [...builtins, ...installedPlugins(options.from).map((p) => p.name)];
  const problems: Problem[] = [];
  refs.forEach((ref, i) => {
    const name = typeof ref === 'string' ? ref : ref[0];
    if (builtins.has(name) || resolvable(name, options.from)) return;
    const guess = suggestPlugin(name, known);
    const at = options.locate ? ` (${options.locate(typeof ref === 'string' ? ['plugins', i] : ['plugins', i, 0])})` : '';
    problems.push({
      path: `plugins[${i}]`,
      message: `unknown plugin "${name}"${guess ? `; did you mean "${guess}"?` : ''}${at}`,
    });
  });
  if (problems.length > 0) {
    throw new ApogeeError(
      ERROR_CODES.PLUGIN_NOT_FOUND,
      `${options.source ?? 'The config'} names ${problems.length === 1 ? 'an unknown plugin' : `${problems.length} unknown plugins`}:`,
      {
        problems,
        hint: '`apogee plugins` lists the built-in and installed plugins; install an npm plugin with `npm install NAME`.',
      },
    );
  }
}

/**
 * Create every plugin named in a config (validating each one's options) without applying it. An
 * invalid plugin's error gets the position of its config entry appended.
 */
export async function instantiatePlugins(
  refs: readonly PluginRef[],
  options: { from: string; builtins: LoadPluginsOptions['builtins']; locate?: (p: ReadonlyArray<PropertyKey>) => string },
): Promise<ApoPlugin[]> {
  const out: ApoPlugin[] = [];
  for (const [i, ref] of refs.entries()) {
    try {
      out.push(await loadPlugin(ref, { builtins: options.builtins, resolveFrom: options.from }));
    } catch (e) {
      if (e instanceof ApogeeError && options.locate) {
        const at = options.locate(typeof ref === 'string' ? ['plugins', i] : ['plugins', i, 1]);
        throw new ApogeeError(e.code, `${e.message.replace(/:$/, '')} (plugins[${i}] at ${at}):`, { problems: e.problems, hint: e.hint, cause: e });
      }
      throw e;
    }
  }
  return out;
}
