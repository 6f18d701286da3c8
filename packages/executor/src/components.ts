import { createHash } from 'node:crypto';
import type { ComponentBuilder, ComponentRecipe, Components, TaskContext } from './contract';
import { loadTask } from './task-runner';

/**
 * The run's components in this worker, built once per recipe (the worker's cache keeps them while
 * jobs of the run keep coming) and disposed when the cache lets them go.
 */
export function componentsOf(recipe: ComponentRecipe, ctx: TaskContext): Promise<Components> {
  const key = `components:${createHash('sha256').update(JSON.stringify(recipe)).digest('hex')}`;
  return ctx.cached(
    key,
    () => (loadTask({ module: recipe.module, name: recipe.name }) as unknown as ComponentBuilder)(recipe.input),
    (c) => c.dispose(),
  );
}
