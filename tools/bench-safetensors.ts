// Measure @apogee/safetensors against plain fs.readFile on a GPT-2-sized-layer file (113 MB).
// Run: npx tsx --conditions=@apogee/source tools/bench-safetensors.ts
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensors, writeSafetensors, type WritableTensor } from '@apogee/safetensors';

async function main(): Promise<void> {
  const file = path.join(os.tmpdir(), `apogee-bench-${process.pid}.safetensors`);
  const tensors: Record<string, WritableTensor> = {};
  for (let i = 0; i < 12; i++) {
    const data = new Float32Array(768 * 3072);
    for (let j = 0; j < data.length; j += 97) data[j] = j;
    tensors[`h.${i}.mlp.c_fc.weight`] = { dtype: 'F32', shape: [768, 3072], data };
  }
  try {
    let t = performance.now();
    await writeSafetensors(file, tensors);
    const writeMs = performance.now() - t;
    for (let rep = 0; rep < 3; rep++) {
      t = performance.now();
      await readSafetensors(file);
      const readAllMs = performance.now() - t;
      t = performance.now();
      await fs.promises.readFile(file);
      const readFileMs = performance.now() - t;
      t = performance.now();
      await readSafetensors(file, { names: ['h.3.mlp.c_fc.weight'] });
      const readOneMs = performance.now() - t;
      console.log(JSON.stringify({ mb: Math.round(fs.statSync(file).size / 1e6), writeMs: Math.round(writeMs), readAllMs: Math.round(readAllMs), readFileMs: Math.round(readFileMs), ratio: +(readAllMs / readFileMs).toFixed(2), readOneMs: Math.round(readOneMs) }));
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}

void main();
