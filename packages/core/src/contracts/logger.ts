/** Where library code writes human-facing messages (backend choice, load reports…). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Writes to stderr, so stdout stays clean for data. `debug` only when `APOGEE_DEBUG` is set. */
export const consoleLogger: Logger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  debug: (m) => {
    if (process.env.APOGEE_DEBUG) process.stderr.write(`debug: ${m}\n`);
  },
};

/** Discards everything (tests, quiet mode). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, debug: () => undefined };
