import type { CliIo } from './io';

/** What every command action gets: where to write, and how the process is being stopped. */
export interface CommandContext {
  io: CliIo;
  /** Aborted on Ctrl-C (SIGINT): long work stops after its current step. */
  signal: AbortSignal;
  /** Set by an action that finished with a non-zero code on purpose (e.g. 130 after Ctrl-C). */
  exitCode?: number;
}

/** Resolve a user path against the command's working directory. */
export { resolve as resolvePath } from 'node:path';
