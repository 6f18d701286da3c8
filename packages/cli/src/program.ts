import { Command, Option } from 'commander';
import { registerBenchCommand } from './commands/bench';
import { registerConfigCommands } from './commands/config';
import { registerModelCommands } from './commands/models';
import { registerPluginsCommand } from './commands/plugins';
import { registerQuickstartCommand } from './commands/quickstart';
import { registerReportCommand } from './commands/report';
import { registerRunCommands } from './commands/run';
import { registerWorkerCommand } from './commands/worker';
import type { CommandContext } from './context';

const EXIT_CODE_HELP = `
Exit codes:
  0    finished
  1    failed while working (bad data or model file, non-finite loss, a bug)
  2    usage or config error: nothing was started
  130  interrupted (Ctrl-C) after writing a checkpoint; continue with \`apogee resume DIR\`

Add --debug to any command for stack traces.`;

/** Build the `apogee` command tree. Commands write through `ctx.io`, never to process streams. */
export function createProgram(ctx: CommandContext): Command {
  const program = new Command('apogee')
    .description('Adversarial Preference Optimization (arXiv 2311.08045): train, evaluate and report on the RM–LLM game.')
    .version(readVersion(), '-V, --version')
    .addOption(new Option('--debug', 'print stack traces and debug messages'))
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(s),
    })
    .exitOverride()
    .addHelpText('after', EXIT_CODE_HELP);
  registerQuickstartCommand(program, ctx);
  registerRunCommands(program, ctx);
  registerWorkerCommand(program, ctx);
  registerModelCommands(program, ctx);
  registerReportCommand(program, ctx);
  registerBenchCommand(program, ctx);
  registerPluginsCommand(program, ctx);
  registerConfigCommands(program, ctx);
  // Sub-commands inherit the parse settings (exitOverride, output) of the program.
  for (const c of program.commands) inherit(c, program);
  return program;
}

function inherit(command: Command, parent: Command): void {
  command.copyInheritedSettings(parent);
  for (const c of command.commands) inherit(c, command);
}

function readVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}
