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

/**
 * `(options) => ApoPlugin`, with the name and tokens visible without calling it. `In` is what a
 * caller passes (for a schema plugin, the schema's input type: every field with a default optional).
 */
export type PluginFactory<In = Record<string, unknown>> = ((options?: In) => ApoPlugin) & {
  readonly pluginName: string;
  readonly provides: readonly Token<unknown>[];
};

/**
 * Any plugin factory, whatever its options: what registries, variant parts and the CLI hold (a
 * `definePlugin` factory, with its name and tokens, or a hand-written function). Call one with
 * options of unknown type through {@link applyPlugin}.
 */
export type AnyPluginFactory = ((options?: never) => ApoPlugin) & {
  readonly pluginName?: string;
  readonly provides?: readonly Token<unknown>[];
};

/**
 * Call a factory with options that are only known at run time (config, a variant's part); the
 * plugin's own schema validates them and names every bad field.
 */
export function applyPlugin(factory: AnyPluginFactory, options?: unknown): ApoPlugin {
  return (factory as (options?: unknown) => ApoPlugin)(options);
}

/**
 * A plugin whose options are one zod schema, defaults included (`.default(…)` on each field):
 * the factory takes `z.input<S>` and `register` gets `z.output<S>`, so no cast is ever needed.
 */
export interface SchemaPluginSpec<S extends z.ZodType> {
  /** Tokens it registers. */
  provides?: readonly Token<unknown>[];
  /** Validates (and fills the defaults of) the options; errors name the plugin and each bad field. */
  schema: S;
  /** Registers providers. Register the options under their own token, NestJS `forRoot` style. */
  register(container: DependencyContainer, options: z.output<S>): unknown;
}

/** A plugin declared with an options type and shallow defaults (kept for third-party plugins). */
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
 * Define a plugin: `export const dpoLoss = definePlugin('dpo-loss', { schema, register })`, used as
 * `dpoLoss({ beta: 0.1 })`. With a schema (the one way first-party plugins declare options), the
 * input and output option types are the schema's; the `defaults` form takes a type argument.
 */
export function definePlugin<S extends z.ZodType>(name: string, spec: SchemaPluginSpec<S>): PluginFactory<z.input<S>>;
export function definePlugin<O = Record<string, never>>(name: string, spec: PluginSpec<O>): PluginFactory<Partial<O>>;
export function definePlugin(name: string, spec: PluginSpec<unknown> | SchemaPluginSpec<z.ZodType>): PluginFactory<never> {
  const provides = spec.provides ?? [];
  const defaults = 'defaults' in spec ? spec.defaults : undefined;
  const factory = (options?: unknown): ApoPlugin => {
    const merged = { ...(defaults ?? {}), ...(options ?? {}) };
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
