import { ERROR_CODES, isApogeeError } from '@apogee/core';

/**
 * Exit codes of the `apogee` command (documented in the package README and `apogee --help`).
 * Stable: scripts may branch on them.
 */
export const EXIT_CODES = {
  /** Finished. */
  OK: 0,
  /** Something failed while working (bad data file, model file, non-finite loss, a bug). */
  ERROR: 1,
  /** The command line or a config file is wrong: nothing was started. */
  USAGE: 2,
  /** Stopped by Ctrl-C (SIGINT) after checkpointing; `apogee resume DIR` continues. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const USAGE_CODES: ReadonlySet<string> = new Set([
  ERROR_CODES.CONFIG_INVALID,
  ERROR_CODES.INVALID_ARGUMENT,
  ERROR_CODES.PLUGIN_NOT_FOUND,
  ERROR_CODES.PLUGIN_INVALID,
  ERROR_CODES.PLUGIN_OPTIONS_INVALID,
  ERROR_CODES.MISSING_PROVIDER,
]);

/** The exit code an error maps to. */
export function exitCodeFor(error: unknown): ExitCode {
  if (isApogeeError(error)) {
    if (error.code === ERROR_CODES.ABORTED) return EXIT_CODES.INTERRUPTED;
    if (USAGE_CODES.has(error.code)) return EXIT_CODES.USAGE;
  }
  return EXIT_CODES.ERROR;
}
