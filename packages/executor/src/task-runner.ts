import { ApogeeError, ERROR_CODES } from '@apogee/core';
import type { TaskContext, TaskFunction, TaskRef } from './contract';

/** Load a task's function: `require(ref.module)[ref.name]`, with errors that name both. */
export function loadTask(ref: TaskRef): TaskFunction {
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(ref.module) as Record<string, unknown>;
  } catch (cause) {
    throw new ApogeeError(ERROR_CODES.PLUGIN_NOT_FOUND, `Cannot load task module "${ref.module}": ${(cause as Error).message.split('\n')[0]}`, {
      hint: 'Workers load tasks by module name: install the same packages (and versions) on every worker machine.',
      cause,
    });
  }
  const fn = mod[ref.name];
  if (typeof fn !== 'function') {
    throw new ApogeeError(ERROR_CODES.PLUGIN_INVALID, `Task module "${ref.module}" exports no function "${ref.name}".`, {
      hint: 'Check the worker runs the same apogee version as the coordinator.',
    });
  }
  return fn as TaskFunction;
}

const MAX_CACHED = 4;

/** A worker's cache of objects built from snapshots (least recently used disposed first). */
export class WorkerCache {
  private readonly entries = new Map<string, { value: Promise<unknown>; dispose?: (v: unknown) => Promise<void> | void }>();

  async get<T>(key: string, create: () => Promise<T>, dispose?: (value: T) => Promise<void> | void): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value as Promise<T>;
    }
    const value = create();
    this.entries.set(key, { value, dispose: dispose as ((v: unknown) => Promise<void> | void) | undefined });
    value.catch(() => this.entries.delete(key));
    while (this.entries.size > MAX_CACHED) {
      const [oldKey, old] = this.entries.entries().next().value!;
      this.entries.delete(oldKey);
      if (old.dispose) await old.value.then((v) => old.dispose!(v), () => undefined);
    }
    return value;
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) if (e.dispose) await e.value.then((v) => e.dispose!(v), () => undefined);
  }
}

/** Run one task in this process. */
export async function runTask(
  ref: TaskRef,
  input: unknown,
  env: { jobId: string; attempt: number; snapshot: (hash: string) => Promise<string>; cache: WorkerCache },
): Promise<unknown> {
  const fn = loadTask(ref);
  const context: TaskContext = {
    jobId: env.jobId,
    attempt: env.attempt,
    snapshot: env.snapshot,
    cached: (key, create, dispose) => env.cache.get(key, create, dispose),
  };
  return fn(input, context);
}
