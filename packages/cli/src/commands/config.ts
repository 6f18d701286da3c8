import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { ApogeeError, ERROR_CODES, writeFileAtomic } from '@apogee/core';
import type { CommandContext } from '../context';
import { commentedDefaultConfig, configJsonSchema, starterPlugins } from '../config/config-init';
import { loadConfigFile } from '../config/load-config';
import { examples } from './examples';

export function registerConfigCommands(program: Command, ctx: CommandContext): void {
  const config = program
    .command('config')
    .description('write, check and describe run config files (YAML or JSON)')
    .addHelpText('after', examples('apogee config init apogee.yaml', 'apogee config validate apogee.yaml', 'apogee config schema --out apogee.schema.json'));

  config
    .command('init')
    .description('write a commented YAML config with every option at its default')
    .argument('[file]', 'where to write it', 'apogee.yaml')
    .option('-f, --force', 'overwrite an existing file')
    .option('--variant <name>', 'the variant preset in the starter plugin list (see `apogee plugins`)', 'dpo-apo')
    .addHelpText('after', examples('apogee config init', 'apogee config init runs/dpo.yaml --force'))
    .action(async (file: string, opts: { force?: boolean; variant: string }) => {
      const target = path.resolve(ctx.io.cwd, file);
      if (existsSync(target) && !opts.force) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${file} already exists.`, {
          hint: 'Pass --force to overwrite it, or name another file.',
        });
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { builtinPlugins } = require('../plugins/registry') as typeof import('../plugins/registry');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { checkPluginRefs } = require('../plugins/check-plugins') as typeof import('../plugins/check-plugins');
      checkPluginRefs([opts.variant], { lookup: { cwd: ctx.io.cwd }, source: '--variant' });
      const available = new Set(builtinPlugins().map((p) => p.name));
      await writeFileAtomic(target, commentedDefaultConfig(starterPlugins(opts.variant, available)));
      ctx.io.out(`Wrote ${file}. Check it with \`apogee config validate ${file}\`.\n`);
    });

  config
    .command('validate')
    .description('check a config file: every problem with its path, allowed values and file:line:column')
    .argument('<file>', 'YAML or JSON config')
    .addHelpText('after', examples('apogee config validate apogee.yaml'))
    .action(async (file: string) => {
      const loaded = loadConfigFile(path.resolve(ctx.io.cwd, file));
      // Resolving runs no plugin code; only plugins that pass every check (a marked package, a
      // built-in, a path under localPlugins) are then created, to validate their options.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { checkPluginRefs, createRunLocated, instantiatePlugins } = require('../plugins/check-plugins') as typeof import('../plugins/check-plugins');
      const lookup = { configFile: loaded.file, cwd: ctx.io.cwd, localPlugins: loaded.config.localPlugins };
      checkPluginRefs(loaded.config.plugins, { lookup, locate: loaded.locate, source: file });
      const plugins = await instantiatePlugins(loaded.config.plugins, { lookup, locate: loaded.locate });
      // Registering them (no work is done) checks what they say of the config: a game.apo that disagrees with the variant.
      await (await createRunLocated(plugins, loaded.config, loaded.locate)).dispose();
      ctx.io.out(`${file} is valid (${loaded.config.plugins.length} plugin${loaded.config.plugins.length === 1 ? '' : 's'}, ${loaded.config.game.rounds} rounds, seed ${loaded.config.seed}).\n`);
    });

  config
    .command('schema')
    .description('print the config JSON Schema (for editor completion)')
    .option('-o, --out <file>', 'write it to a file instead of stdout')
    .addHelpText('after', examples('apogee config schema > apogee.schema.json', 'apogee config schema --out apogee.schema.json'))
    .action(async (opts: { out?: string }) => {
      const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
      if (opts.out) {
        await writeFileAtomic(path.resolve(ctx.io.cwd, opts.out), text);
        ctx.io.out(`Wrote ${opts.out}.\n`);
      } else ctx.io.out(text);
    });
}

