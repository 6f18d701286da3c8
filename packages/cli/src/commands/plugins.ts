import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { examples } from './examples';

export function registerPluginsCommand(program: Command, ctx: CommandContext): void {
  program
    .command('plugins')
    .description('list the built-in plugins and the installed ones (npm packages marked with the keyword "apogee-plugin")')
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', examples('apogee plugins', 'apogee plugins --json | jq ".builtin[].name"'))
    .action(async (opts: { json?: boolean }) => {
      // Loaded here, not at start-up: the registry imports every package (and tfjs).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { builtinPlugins, installedPlugins } = require('../plugins/registry') as typeof import('../plugins/registry');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { cliInstallDir } = require('../plugins/check-plugins') as typeof import('../plugins/check-plugins');
      const builtin = builtinPlugins().map(({ name, package: pkg, provides }) => ({ name, package: pkg, provides }));
      const installed = installedPlugins([ctx.io.cwd, cliInstallDir()]).map(({ name, version, description }) => ({ name, version, description }));
      if (opts.json) {
        ctx.io.out(`${JSON.stringify({ builtin, installed }, null, 2)}\n`);
        return;
      }
      const width = Math.max(...builtin.map((p) => p.name.length));
      const pkgWidth = Math.max(...builtin.map((p) => p.package.length));
      const lines = ['Built-in plugins (name them in `plugins:` of a config, optionally as [name, { options }]):'];
      for (const p of builtin) lines.push(`  ${p.name.padEnd(width)}  ${p.package.padEnd(pkgWidth)}  ${p.provides.join(', ')}`);
      lines.push('', `Installed plugins (packages with the keyword "apogee-plugin", from ${ctx.io.cwd} and apogee's own installation):`);
      if (installed.length === 0) lines.push('  none; `npm install` one, or publish yours with the keyword "apogee-plugin"');
      for (const p of installed) lines.push(`  ${p.name}@${p.version}${p.description ? `  ${p.description}` : ''}`);
      ctx.io.out(`${lines.join('\n')}\n`);
    });
}
