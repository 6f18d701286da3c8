import { container as globalContainer, type DependencyContainer, type InjectionToken } from 'tsyringe';
import { parseConfig, type ApogeeConfig, type ApogeeConfigInput } from './config';
import { consoleLogger } from './contracts/logger';
import { isDisposable, type Disposable } from './disposable';
import { ApogeeError, ERROR_CODES, type Problem } from './errors';
import type { ApoPlugin } from './plugin';
import { Rng } from './rng';
import { providersOf, type KnownPlugin } from './known-plugins';
import { TOKENS } from './tokens-registry';
import { tokenName, type Token } from './tokens';

export interface CreateRunOptions {
  /** Plugins in order; a token registered by several is resolved from the last (tsyringe semantics). */
  plugins?: readonly ApoPlugin[];
  /** Raw or parsed config; validated here. */
  config?: ApogeeConfigInput | ApogeeConfig;
  /** Parent container; defaults to tsyringe's global one (which library code never writes to). */
  parent?: DependencyContainer;
  /**
   * Plugins the user could add (plugins fit): a missing-provider error names those that
   * provide the missing token (`TOKENS.KnownPlugins`). The CLI passes its built-in plugins.
   */
  known?: readonly KnownPlugin[];
}

/**
 * One run = one child container holding the run's config, RNG and every plugin's providers.
 * `dispose()` frees everything the run created.
 */
export class Run {
  private readonly owned: Disposable[] = [];
  private disposed = false;

  constructor(
    readonly container: DependencyContainer,
    readonly config: ApogeeConfig,
    readonly plugins: readonly ApoPlugin[],
  ) {}

  resolve<T>(t: Token<T>): T {
    return this.container.resolve<T>(t);
  }

  resolveAll<T>(t: Token<T>): T[] {
    return this.container.isRegistered(t, true) ? this.container.resolveAll<T>(t) : [];
  }

  /** Dispose `resource` with the run (models created outside DI, say). */
  own<T extends Disposable>(resource: T): T {
    this.owned.push(resource);
    return resource;
  }

  /**
   * Check that every token is registered before any work starts. The error names each missing
   * token and the known plugins (`createRun`'s `known`) that provide it.
   */
  check(required: readonly InjectionToken<unknown>[]): void {
    checkProviders(this.container, required);
  }

  /** Dispose owned resources (last first), then every disposable instance the container created. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const r of this.owned.reverse()) {
      try {
        await r.dispose();
      } catch (e) {
        errors.push(e);
      }
    }
    try {
      await this.container.dispose();
    } catch (e) {
      errors.push(e);
    }
    if (errors.length > 0) throw errors[0];
  }
}

/** What {@link checkProviders} says when something is missing. */
export interface ProviderCheckMessage {
  /** The subject of the error message (`The run`, `The game`). */
  subject?: string;
  /** What to do. */
  hint?: string;
}

/**
 * Throw one `MISSING_PROVIDER` error naming every token of `required` that `container` (or a
 * parent) does not register, each with the known plugins that provide it (`TOKENS.KnownPlugins`,
 * what the run's assembler said it knows: core names no downstream package). `Run.check` and
 * plugins whose providers need other plugins' tokens (the game) use it before any work starts.
 */
export function checkProviders(container: DependencyContainer, required: readonly InjectionToken<unknown>[], message: ProviderCheckMessage = {}): void {
  const problems: Problem[] = [];
  const known = container.isRegistered(TOKENS.KnownPlugins, true) ? container.resolve(TOKENS.KnownPlugins) : [];
  for (const t of required) {
    if (!container.isRegistered(t, true)) {
      const providers = providersOf(t, known);
      problems.push({
        path: tokenName(t),
        message: providers ? `not registered; usually provided by ${providers}` : 'not registered by any plugin',
      });
    }
  }
  if (problems.length > 0) {
    throw new ApogeeError(ERROR_CODES.MISSING_PROVIDER, `${message.subject ?? 'The run'} is missing ${problems.length} provider${problems.length === 1 ? '' : 's'}:`, {
      problems,
      hint:
        message.hint ??
        (known.length > 0
          ? 'Add the plugins named above to `plugins` in your config (or to createRun).'
          : 'Add a plugin that provides each token above to `plugins` in your config (or to createRun).'),
    });
  }
}

/** Create a run: validate config, make a child container, register core values, apply plugins. */
export async function createRun(options: CreateRunOptions = {}): Promise<Run> {
  const config = parseConfig(options.config ?? {});
  const container = (options.parent ?? globalContainer).createChildContainer();
  container.register(TOKENS.Config, { useValue: config });
  container.register(TOKENS.Rng, { useValue: Rng.fromSeed(config.seed) });
  container.register(TOKENS.Logger, { useValue: consoleLogger });
  container.register(TOKENS.KnownPlugins, { useValue: options.known ?? [] });
  const plugins = options.plugins ?? [];
  for (const plugin of plugins) await plugin.register(container);
  return new Run(container, config, plugins);
}

export { isDisposable };
