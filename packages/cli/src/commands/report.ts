import * as path from 'node:path';
import type { Command } from 'commander';
import { displayPath, type CommandContext } from '../context';
import { examples } from './examples';
import { writeReport } from '../report/render-report';

export function registerReportCommand(program: Command, ctx: CommandContext): void {
  program
    .command('report')
    .description('write a self-contained report.html (charts as inline SVG) from a run directory')
    .argument('<dir>', 'a run, quickstart or train-rm directory (holds summary.json / metrics.jsonl)')
    .option('-o, --out <file>', 'where to write the page', 'DIR/report.html')
    .addHelpText('after', examples('apogee report apogee-quickstart', 'apogee report runs/dpo-apo --out /tmp/dpo.html'))
    .action(async (dir: string, opts: { out: string }) => {
      const runDir = path.resolve(ctx.io.cwd, dir);
      const out = opts.out === 'DIR/report.html' ? undefined : path.resolve(ctx.io.cwd, opts.out);
      const file = await writeReport(runDir, { out });
      ctx.io.out(`Wrote ${displayPath(ctx.io.cwd, file)}\n`);
    });
}
