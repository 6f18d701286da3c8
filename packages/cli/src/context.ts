import { isAbsolute, relative } from 'node:path';
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

/** A path as the user should see it: relative to the working directory when inside it. */
export function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
