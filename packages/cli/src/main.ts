import 'reflect-metadata';
import { CommanderError } from 'commander';
import { ioError, isApogeeError } from '@apogee/core';
import type { CommandContext } from './context';
import { EXIT_CODES, exitCodeFor } from './exit-codes';
import { processIo, type CliIo } from './io';
import { createProgram } from './program';

export interface RunCliOptions {
  io?: CliIo;
  /** Stop long work (Ctrl-C). The process entry point wires SIGINT to it. */
  signal?: AbortSignal;
}

/**
 * Run the `apogee` command with `argv` (without node and script) and return its exit code.
 * Never throws: errors are printed as one clear message plus what to do (a stack trace only with
 * `--debug`).
 */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const io = options.io ?? processIo();
  const ownSignal = options.signal === undefined;
  const controller = new AbortController();
  const signal = options.signal ?? controller.signal;
  const debug = argv.includes('--debug') || Boolean(io.env.APOGEE_DEBUG);
  const detach = ownSignal ? onInterrupt(controller, io) : () => undefined;
  const ctx: CommandContext = { io, signal };
  try {
    await createProgram(ctx).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode ?? EXIT_CODES.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed the problem (or the help / version).
      return e.exitCode === 0 ? EXIT_CODES.OK : EXIT_CODES.USAGE;
    }
    // An operating-system error (disk full, read-only, permission, a file where a folder should be)
    // is the user's to fix: name the path and the errno in words, not "a bug in apogee".
    const error = ioError(e);
    io.err(`${describeError(error, debug)}\n`);
    return exitCodeFor(error);
  } finally {
    detach();
  }
}

/** One clear message plus what to do; the stack only when debugging. */
export function describeError(e: unknown, debug = false): string {
  const text = isApogeeError(e)
    ? `error: ${e.describe()}`
    : `error: ${e instanceof Error ? e.message : String(e)}\nThis is probably a bug in apogee; run again with --debug and report the output.`;
  if (!debug || !(e instanceof Error)) return text;
  return `${text}\n\n${e.stack ?? ''}${e.cause instanceof Error ? `\ncaused by: ${e.cause.stack}` : ''}`;
}

/**
 * First Ctrl-C: abort the signal (the game stops after its current step and checkpoints). A
 * second one more than a second later exits at once. (A terminal delivers one Ctrl-C to both the
 * `apogee` launcher and this process; the launcher passes it on: the 1 s window merges the two.)
 */
function onInterrupt(controller: AbortController, io: CliIo): () => void {
  let first = 0;
  const handler = () => {
    const now = Date.now();
    if (!controller.signal.aborted) {
      first = now;
      io.err('\nStopping after the current step (press Ctrl-C again to quit at once)…\n');
      controller.abort();
    } else if (now - first > 1000) {
      io.err('Quitting without a checkpoint.\n');
      process.exit(EXIT_CODES.INTERRUPTED);
    }
  };
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}
