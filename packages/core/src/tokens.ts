import type { InjectionToken } from 'tsyringe';

/**
 * A typed DI token. Tokens are `Symbol.for` symbols keyed by package and name, so two copies of
 * a package installed side by side still agree on them.
 */
export type Token<T> = InjectionToken<T> & symbol & { readonly __type?: T };

/** Make a typed token `Symbol.for('@apogee/<pkg>:<Name>')`. */
export function token<T>(pkg: string, name: string): Token<T> {
  return Symbol.for(`${pkg}:${name}`) as Token<T>;
}

/** Human-readable token name (`@apogee/core:PolicyFactory`). */
export function tokenName(t: InjectionToken<unknown>): string {
  if (typeof t === 'symbol') return Symbol.keyFor(t) ?? t.toString();
  if (typeof t === 'function') return t.name;
  return String(t);
}
