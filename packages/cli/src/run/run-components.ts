// How a worker (a local pool process, or `apogee worker` on any machine) rebuilds an `apogee run`'s
// components for the game's sampling and scoring jobs: the run's plugins from its resolved config.
import 'reflect-metadata';
import { ApogeeError, createRun, ERROR_CODES, silentLogger, TOKENS, type ApogeeConfig } from '@apogee/core';
import type { ComponentRecipe, Components } from '@apogee/executor/contract';
import { initBackend } from '@apogee/runtime';
import { instantiatePlugins, pluginsOf, type PluginLookup } from '../plugins/check-plugins';

/** A run's recipe: its resolved config, where its plugins are looked up, and the backend the coordinator selected. */
export interface RunComponentsInput {
  config: ApogeeConfig;
  lookup: PluginLookup;
  /** The coordinator's backend (by name): every worker computes on the same one, or refuses. */
  backend: string;
}

/** The recipe `apogee run` registers beside its executor (`COMPONENT_RECIPE`). */
export function runComponentsRecipe(input: RunComponentsInput): ComponentRecipe {
  return { module: '@apogee/cli/run-components', name: 'runComponents', input };
}

/** Build the run's container from its plugins, on the coordinator's backend, quietly. */
export async function runComponents(raw: unknown): Promise<Components> {
  const input = raw as RunComponentsInput;
  const backend = await initBackend({ backend: input.backend as ApogeeConfig['backend'], logger: silentLogger });
  if (backend.name !== input.backend) {
    throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, `This worker selected backend ${backend.name}, not the run's ${input.backend}.`, {
      hint: 'Install the same tfjs backend on every worker machine: same backend, same numbers.',
    });
  }
  const loaded = await instantiatePlugins(input.config.plugins, { lookup: input.lookup });
  const run = await createRun({ plugins: pluginsOf(loaded), config: input.config });
  run.container.register(TOKENS.Logger, { useValue: silentLogger });
  return { resolve: <T>(token: symbol) => run.resolve(token as never) as T, dispose: () => run.dispose() };
}
