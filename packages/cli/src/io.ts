/**
 * Where the command writes. The real process streams in `apogee`; strings in tests, so commands
 * are tested in-process with their real output.
 */
export interface CliIo {
  /** Data and results (JSON, tables, file paths). */
  out(text: string): void;
  /** Progress, warnings and errors. */
  err(text: string): void;
  /** Whether stderr is an interactive terminal (progress bars) rather than a file, pipe or CI log. */
  interactive: boolean;
  /** Working directory relative paths are resolved against. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
    cwd: process.cwd(),
    env: process.env,
  };
}

/** An io that records everything, for tests. */
export function memoryIo(cwd = process.cwd(), env: Record<string, string | undefined> = {}): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
    interactive: false,
    cwd,
    env,
  };
  return io;
}
