import { token } from '@apogee/core';

/**
 * Where a task's code lives: a module that any process can `require` (a package name such as
 * `@apogee/game`, or an absolute file path) and the name of the function it exports. Workers on
 * other machines load the same module, so a task is named, never sent as code.
 */
export interface TaskRef {
  module: string;
  name: string;
}

/** What a task function receives besides its input. */
export interface TaskContext {
  /** The job's id: a hash of (task, input), the same on every attempt and every machine. */
  readonly jobId: string;
  /** 1 on the first try, 2 after a retry (a failure or a worker lost mid-job). */
  readonly attempt: number;
  /** The local directory holding the snapshot published under `hash` (fetched and cached once per worker). */
  snapshot(hash: string): Promise<string>;
  /**
   * A per-worker cache of expensive objects (a model loaded from a snapshot): `create` runs once
   * per key; the least recently used entry is disposed when more than a few are held.
   */
  cached<T>(key: string, create: () => Promise<T>, dispose?: (value: T) => Promise<void> | void): Promise<T>;
}

/**
 * A task: a pure function of its JSON input (and the snapshots it names) to a JSON output.
 * Randomness comes from the input (an `Rng` state derived from run seed, round, phase and shard),
 * never from the worker, so the output is the same wherever and whenever it runs.
 */
export type TaskFunction<I = unknown, O = unknown> = (input: I, context: TaskContext) => Promise<O>;

/** Options of one {@link Executor.map} call. */
export interface MapOptions {
  /** Readable prefix of the job ids (e.g. `r2-sample-llm`); ids stay content hashes after it. */
  label?: string;
  /** Called after each job finishes, with jobs done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stop waiting (and cancel what has not started, where the executor can). */
  signal?: AbortSignal;
}

/** The executors apogee ships. */
export type ExecutorKind = 'in-process' | 'local' | 'bullmq';

/**
 * Runs shards of sample / score / evaluate work and gathers their results in input order.
 * Implementations: {@link InProcessExecutor} (one job at a time, in this process),
 * {@link LocalPoolExecutor} (child processes, one per core) and {@link BullMqExecutor} (a BullMQ
 * queue on Redis served by `apogee worker` on any number of machines). All give the same outputs
 * for the same inputs.
 */
export interface Executor {
  readonly kind: ExecutorKind;
  /** Jobs that can run at once (for a queue: the concurrency of the workers seen when asked). */
  workers(): Promise<number>;
  /** Publish a directory (a model snapshot) once; returns its content hash, which jobs name. */
  publish(dir: string): Promise<string>;
  /** Run `task` on every input; resolves with the outputs in input order, or rejects with the first failure. */
  map<I, O>(task: TaskRef, inputs: readonly I[], options?: MapOptions): Promise<O[]>;
  /** Release workers and connections. The executor cannot be used afterwards. */
  close(): Promise<void>;
}

/** The DI token of the run's executor (registered by the CLI; the game uses it when present). */
export const EXECUTOR = token<Executor>('@apogee/executor', 'Executor');

/**
 * How a worker rebuilds the run's components (its plugins: policy factory, sampler, reward
 * factory…) for the game's jobs: a builder function named like a task (module and export), and its
 * JSON input (for `apogee run`: the resolved config). Registered by the CLI beside {@link EXECUTOR};
 * jobs carry it, so any worker can serve any run.
 */
export interface ComponentRecipe {
  module: string;
  name: string;
  input: unknown;
}

/** What a {@link ComponentRecipe}'s builder returns: a resolver of the run's tokens (a DI container) and its clean-up. */
export interface Components {
  resolve<T>(token: symbol): T;
  dispose(): Promise<void>;
}

/** The builder a recipe names. */
export type ComponentBuilder = (input: unknown) => Promise<Components>;

/** The DI token of the run's {@link ComponentRecipe} (registered by the CLI with the executor). */
export const COMPONENT_RECIPE = token<ComponentRecipe>('@apogee/executor', 'ComponentRecipe');

export { componentsOf } from './components';
export { shardRanges } from './shards';
