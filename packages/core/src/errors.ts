/**
 * Stable error codes. A code never changes meaning once released; tools and users may match on it.
 */
export const ERROR_CODES = {
  /** A config value is missing, of the wrong type or out of range. */
  CONFIG_INVALID: 'APOGEE_CONFIG_INVALID',
  /** A DI token a run needs has no registration. */
  MISSING_PROVIDER: 'APOGEE_MISSING_PROVIDER',
  /** A plugin named in config cannot be found or imported. */
  PLUGIN_NOT_FOUND: 'APOGEE_PLUGIN_NOT_FOUND',
  /** A module was found but does not export a valid apogee plugin. */
  PLUGIN_INVALID: 'APOGEE_PLUGIN_INVALID',
  /** Plugin options failed validation. */
  PLUGIN_OPTIONS_INVALID: 'APOGEE_PLUGIN_OPTIONS_INVALID',
  /** An input data file is unreadable or holds malformed records. */
  DATA_INVALID: 'APOGEE_DATA_INVALID',
  /** A model, tokenizer or checkpoint file is malformed. */
  MODEL_FILE_INVALID: 'APOGEE_MODEL_FILE_INVALID',
  /** A loss or metric became NaN or infinite. */
  NON_FINITE: 'APOGEE_NON_FINITE',
  /** A requested tensor backend cannot be used. */
  BACKEND_UNAVAILABLE: 'APOGEE_BACKEND_UNAVAILABLE',
  /** A run or checkpoint directory is unusable for resume. */
  CHECKPOINT_INVALID: 'APOGEE_CHECKPOINT_INVALID',
  /** The run was stopped on request (Ctrl-C / abort signal). */
  ABORTED: 'APOGEE_ABORTED',
  /** A caller passed an argument outside the allowed values. */
  INVALID_ARGUMENT: 'APOGEE_INVALID_ARGUMENT',
  /** An invariant inside apogee broke: a bug to report. */
  INTERNAL: 'APOGEE_INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One problem found while validating something; `path` points at the offending field. */
export interface Problem {
  /** Where: a config path (`game.rounds`), or `file:line` plus field for data. */
  path: string;
  /** What is wrong, in one sentence. */
  message: string;
}

export interface ApogeeErrorOptions {
  /** What the user should do about it. Printed after the message. */
  hint?: string;
  /** Every problem found, when validation reports several at once. */
  problems?: Problem[];
  cause?: unknown;
}

/**
 * The one error type apogee throws on purpose. `code` is stable; `message` says what went
 * wrong and `hint` what to do. The CLI prints `message` and `hint`, never a stack trace
 * (unless `--debug`).
 */
export class ApogeeError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly problems: Problem[];

  constructor(code: ErrorCode, message: string, options: ApogeeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApogeeError';
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }

  /** Message, problems and hint as the text a person should read. */
  describe(): string {
    const lines = [this.message];
    for (const p of this.problems) lines.push(`  - ${p.path}: ${p.message}`);
    if (this.hint) lines.push(this.hint);
    return lines.join('\n');
  }
}

export function isApogeeError(e: unknown): e is ApogeeError {
  return e instanceof ApogeeError || (e instanceof Error && e.name === 'ApogeeError' && 'code' in e);
}
