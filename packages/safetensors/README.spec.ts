// The README's usage example: it must keep working.
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from './src';

it('README example runs', async () => {
  const { dir, cleanup } = makeTempDir();
  const file = path.join(dir, 'model.safetensors');
  try {
    await writeSafetensors(file, {
      'wte.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      step: { dtype: 'I32', shape: [], data: Int32Array.from([7]) },
    }, { format: 'pt' });
    const header = await readSafetensorsHeader(file);
    expect(header.tensors.get('step')).toEqual({ dtype: 'I32', shape: [], dataOffsets: [0, 4] });
    const { tensors, metadata } = await readSafetensors(file, { names: ['wte.weight'] });
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.keys()]).toEqual(['wte.weight']);
    expect(tensors.get('wte.weight')).toEqual({ dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  } finally {
    cleanup();
  }
});
