// Merge quickstart directories of different seeds (run as separate processes) into one:
//   npx tsx --tsconfig tsconfig.base.json --conditions=@apogee/source tools/merge-quickstart.ts OUT_DIR DIR_SEED1 DIR_SEED2 …
import 'reflect-metadata';
import { mergeQuickstartRuns } from '../packages/cli/src/quickstart/merge';

const [out, ...dirs] = process.argv.slice(2);
if (!out || dirs.length === 0) {
  process.stderr.write('usage: tools/merge-quickstart.ts OUT_DIR DIR…\n');
  process.exit(2);
}
mergeQuickstartRuns(dirs, out).then(
  (s) => process.stdout.write(`merged seeds ${s.seeds.join(', ')} into ${out}\n`),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
