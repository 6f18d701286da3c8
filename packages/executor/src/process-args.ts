import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Whether this module runs from its TypeScript source (a checkout, tests) rather than `dist/`. */
export const FROM_SOURCE = path.extname(__filename) === '.ts';

/**
 * What a child node process needs to load apogee the way this one does: from a checkout, the
 * `@apogee/source` condition and tsx (docs/decisions/0070); from an installed package, nothing.
 */
export function childNodeOptions(): { execArgv: string[]; env: Record<string, string> } {
  if (!FROM_SOURCE) return { execArgv: [], env: {} };
  const tsx = require.resolve('tsx');
  const base = path.resolve(__dirname, '..', '..', '..', 'tsconfig.base.json');
  const env: Record<string, string> = { APOGEE_FROM: 'source' };
  if (fs.existsSync(base) && !process.env.TSX_TSCONFIG_PATH) env.TSX_TSCONFIG_PATH = base;
  return { execArgv: ['--conditions=@apogee/source', '--import', pathToFileURL(tsx).href], env };
}

/** A child script of this package, `.ts` from source and `.js` from dist. */
export function ownScript(name: string): string {
  return path.join(__dirname, `${name}${FROM_SOURCE ? '.ts' : '.js'}`);
}

/** The cores this process may use (`os.availableParallelism`). */
export function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}
