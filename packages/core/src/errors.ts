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
  /** The operating system refused a file operation (disk full, read-only, permission, …). */
  IO_FAILED: 'APOGEE_IO_FAILED',
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
  /**
   * Every problem found, when validation reports several at once. At most
   * {@link MAX_LISTED_PROBLEMS} are kept, then one entry counting the rest.
   */
  problems?: Problem[];
  /** How many problems to keep (default {@link MAX_LISTED_PROBLEMS}); a caller that capped its own list passes its cap. */
  maxProblems?: number;
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
    this.problems = capProblems(options.problems ?? [], options.maxProblems);
  }

  /** Message, problems and hint as the text a person should read. */
  describe(): string {
    const lines = [this.message];
    for (const p of this.problems) lines.push(`  - ${p.path}: ${p.message}`);
    if (this.hint) lines.push(this.hint);
    return lines.join('\n');
  }
}

/** Problems an error keeps: a list of millions (a model config with `n_layer: 1000000`) is no help. */
export const MAX_LISTED_PROBLEMS = 50;

/** The first {@link MAX_LISTED_PROBLEMS} problems, and one entry counting the rest. */
export function capProblems(problems: readonly Problem[], max: number = MAX_LISTED_PROBLEMS): Problem[] {
  if (problems.length <= max) return [...problems];
  const more = problems.length - max;
  return [...problems.slice(0, max), { path: '…', message: `and ${more} more problem${more === 1 ? '' : 's'} not listed` }];
}

/** Operating-system error codes in words, for messages a user reads. */
const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'it already exists',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'no such file or folder',
  ENOTEMPTY: 'the folder is not empty',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'an input/output error (a failing disk or network file system?)',
  EBUSY: 'the file is busy',
  ENAMETOOLONG: 'the file name is too long',
  ELOOP: 'too many symbolic links in the path',
  EXDEV: 'it cannot be moved across file systems',
  EFBIG: 'the file is too large',
};

/** What a failed system call was doing, for `Cannot <action> <path>`. */
const SYSCALL_ACTIONS: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  write: 'write',
  read: 'read',
  rename: 'move',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  scandir: 'list',
  stat: 'read',
  lstat: 'read',
  copyfile: 'copy',
  fsync: 'write',
  close: 'write',
};

/** Whether `e` is an operating-system error (`ENOSPC`, `EACCES`, …) from a Node file operation. */
export function isErrnoError(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  // Duck-typed: errors from another realm (a vm context, jest) are not `instanceof Error` here.
  return typeof e === 'object' && e !== null && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && ('syscall' in e || 'errno' in e);
}

/**
 * An operating-system error as a user error naming the path and the errno in words:
 * `Cannot write runs/a/summary.json: no space left on the device (ENOSPC).` Other errors pass
 * through unchanged.
 */
export function ioError(e: unknown, action?: string, file?: string): unknown {
  if (isApogeeError(e) || !isErrnoError(e)) return e;
  const code = e.code!;
  const verb = action ?? SYSCALL_ACTIONS[e.syscall ?? ''] ?? 'use';
  const target = file ?? e.path ?? (e as { dest?: string }).dest;
  const words = ERRNO_WORDS[code] ?? String(e.message).replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/, '');
  const dest = (e as { dest?: string }).dest;
  const what = target ? `${target}${dest && dest !== target ? ` (to ${dest})` : ''}` : `a file (${e.syscall ?? 'unknown operation'})`;
  const hints: Record<string, string> = {
    ENOSPC: 'Free some space (or point --out at another disk) and run again; what was already written is kept.',
    EDQUOT: 'Free some space (or point --out at another disk) and run again; what was already written is kept.',
    EROFS: 'Choose an output folder on a writable file system.',
    EACCES: 'Check the permissions of the path, or choose another one.',
    EPERM: 'Check the permissions of the path, or choose another one.',
    EEXIST: 'Choose a path that does not exist yet, or remove the existing one.',
    ENOTDIR: 'Check the path: one of its parts is a file.',
  };
  return new ApogeeError(ERROR_CODES.IO_FAILED, `Cannot ${verb} ${what}: ${words} (${code}).`, { hint: hints[code], cause: e });
}

export function isApogeeError(e: unknown): e is ApogeeError {
  return e instanceof ApogeeError || (e instanceof Error && e.name === 'ApogeeError' && 'code' in e);
}
