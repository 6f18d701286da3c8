import type { DependencyContainer } from 'tsyringe';
import type { z } from 'zod';
import { ApogeeError, ERROR_CODES } from './errors';
import type { Token } from './tokens';
import { parseWithSchema } from './validation';

/**
 * A named bundle of providers. Applying it registers them into a run's container; it never
 * touches the global container.
 */
export interface ApoPlugin {
  readonly name: string;
  /** Tokens this plugin registers (documentation and the pre-run check). */
  readonly provides: readonly Token<unknown>[];
  /** The resolved options the plugin was created with. */
  readonly options: unknown;
  register(container: DependencyContainer): unknown;
}

/** `(options) => ApoPlugin`, with the name and tokens visible without calling it. */
export type PluginFactory<O> = ((options?: Partial<O>) => ApoPlugin) & {
  readonly pluginName: string;
  readonly provides: readonly Token<unknown>[];
};

export interface PluginSpec<O> {
  /** Tokens it registers. */
  provides?: readonly Token<unknown>[];
  /** Default options; merged shallowly under the user's. */
  defaults?: O;
  /** Validates the merged options; errors name the plugin and each bad field. */
  schema?: z.ZodType<O>;
  /** Registers providers. Register the options under their own token, NestJS `forRoot` style. */
  register(container: DependencyContainer, options: O): unknown;
}

/**
 * Define a plugin: `export const dpoLoss = definePlugin('dpo-loss', { … })`, used as
 * `dpoLoss({ beta: 0.1 })`.
 */
export function definePlugin<O = Record<string, never>>(name: string, spec: PluginSpec<O>): PluginFactory<O> {
  const provides = spec.provides ?? [];
  const factory = (options?: Partial<O>): ApoPlugin => {
    const merged = { ...(spec.defaults ?? {}), ...(options ?? {}) } as O;
    const resolved = spec.schema
      ? parseWithSchema(spec.schema, merged, {
          code: ERROR_CODES.PLUGIN_OPTIONS_INVALID,
          what: `Options of plugin "${name}"`,
          hint: `Fix the options given to "${name}" in your config or code.`,
        })
      : merged;
    return {
      name,
      provides,
      options: resolved,
      register: (container) => spec.register(container, resolved),
    };
  };
  return Object.assign(factory, { pluginName: name, provides });
}

/** Shape check for values that claim to be plugins (loaded from npm, say). */
export function pluginShapeProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['is not an object'];
  const p = value as Partial<ApoPlugin>;
  const problems: string[] = [];
  if (typeof p.name !== 'string' || p.name.length === 0) problems.push('has no string "name"');
  if (typeof p.register !== 'function') problems.push('has no "register(container)" function');
  if (p.provides !== undefined && !Array.isArray(p.provides)) problems.push('"provides" is not an array');
  return problems;
}

export function assertPlugin(value: unknown, where: string): ApoPlugin {
  const problems = pluginShapeProblems(value);
  if (problems.length > 0) {
    throw new ApogeeError(ERROR_CODES.PLUGIN_INVALID, `${where} is not a valid apogee plugin: it ${problems.join(' and ')}.`, {
      hint: 'A plugin module must export (as default or as "plugin") a definePlugin factory or an object { name, provides, register }.',
    });
  }
  const p = value as ApoPlugin;
  return { name: p.name, provides: p.provides ?? [], options: p.options, register: p.register.bind(p) };
}
