export { runCli, describeError, type RunCliOptions } from './main';
export { createProgram } from './program';
export { EXIT_CODES, exitCodeFor, type ExitCode } from './exit-codes';
export { memoryIo, processIo, type CliIo } from './io';
