// Compiles assembly/kernels.ts (AssemblyScript) to WebAssembly and writes src/wasm/kernels-wasm.ts,
// the module as base64, so the package needs no file lookup and no compiler at install time.
//   npm run build:wasm -w @apogee/runtime           write the module
//   node scripts/build-wasm.mjs --check             exit 1 when the committed module is stale
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileKernels, moduleSource } from './compile-wasm.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'src', 'wasm', 'kernels-wasm.ts');
const bytes = await compileKernels(root);
const text = moduleSource(bytes);
if (process.argv.includes('--check')) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current !== text) {
    process.stderr.write(`${path.relative(process.cwd(), target)} is not what assembly/kernels.ts compiles to: run npm run build:wasm -w @apogee/runtime\n`);
    process.exit(1);
  }
  process.stdout.write('kernels-wasm.ts is up to date\n');
} else {
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, target);
  process.stdout.write(`wrote ${path.relative(process.cwd(), target)} (${bytes.length} bytes of WebAssembly)\n`);
}
