import type { InjectionToken } from 'tsyringe';

/**
 * A plugin a user could add to a run, as a missing-provider error names it. A plugin (`ApoPlugin`)
 * already fits; `package` says where it comes from.
 * Core names no downstream package: whoever assembles a run (the CLI's plugin registry, a test
 * kit) says which plugins it knows.
 */
export interface KnownPlugin {
  /** The name a config uses (`gpt-policy`). */
  readonly name: string;
  /** The npm package that exports it (`@apogee/policy`). */
  readonly package?: string;
  /** The tokens it registers. */
  readonly provides: readonly InjectionToken<unknown>[];
}

/** At most this many packages are named for one missing token; the rest are counted. */
const MOST_PACKAGES = 3;

/**
 * Where `missing` comes from, in words: `@apogee/policy (gpt-policy or hf-policy)`, packages in
 * the order the plugins are listed, at most three and a count of the rest; `undefined` when no
 * known plugin provides it.
 */
export function providersOf(missing: InjectionToken<unknown>, known: readonly KnownPlugin[]): string | undefined {
  const byPackage = new Map<string, string[]>();
  for (const p of known) {
    if (!p.provides.includes(missing)) continue;
    const key = p.package ?? p.name;
    const names = byPackage.get(key) ?? [];
    if (p.package && !names.includes(p.name)) names.push(p.name);
    byPackage.set(key, names);
  }
  if (byPackage.size === 0) return undefined;
  const parts = [...byPackage].map(([pkg, names]) => (names.length > 0 ? `${pkg} (${names.join(' or ')})` : pkg));
  const shown = parts.slice(0, MOST_PACKAGES).join(', ');
  return parts.length > MOST_PACKAGES ? `${shown} or ${parts.length - MOST_PACKAGES} more` : shown;
}
