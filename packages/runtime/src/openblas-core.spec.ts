import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseOpenBlasCore, coreOverride, cpuSimdLevel, writeProbeCache } from './openblas-core';
import { loadBlas } from './blas';

describe('OpenBLAS core choice', () => {
  it('reads the vector level from cpuinfo flags (AVX-512 needs F, BW, DQ and VL)', () => {
    expect(cpuSimdLevel(['sse2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512dq', 'avx512vl'])).toBe('avx512');
    expect(cpuSimdLevel(['avx', 'avx2', 'fma', 'avx512f'])).toBe('avx2'); // Knights Landing-like: no BW/DQ/VL
    expect(cpuSimdLevel(['avx', 'avx2'])).toBe('avx'); // AVX2 without FMA: OpenBLAS's Haswell kernels need both
    expect(cpuSimdLevel(['sse2', 'sse4_2'])).toBe('sse');
  });

  it('overrides only a generic fallback on a newer CPU, never a choice of the right generation', () => {
    expect(coreOverride('Prescott', 'avx512')).toBe('SkylakeX');
    expect(coreOverride('Prescott', 'avx2')).toBe('Haswell');
    expect(coreOverride('Sandybridge', 'avx2')).toBe('Haswell');
    expect(coreOverride('Nehalem', 'avx512')).toBe('SkylakeX');
    expect(coreOverride('Prescott', 'avx')).toBeNull(); // nothing better to ask for
    expect(coreOverride('Haswell', 'avx512')).toBeNull(); // e.g. Zen 4: OpenBLAS's choice stands
    expect(coreOverride('Zen', 'avx512')).toBeNull();
    expect(coreOverride('Cooperlake', 'avx512')).toBeNull();
    expect(coreOverride('ARMV8', 'avx512')).toBeNull(); // unknown names are left alone
  });

  it('respects OPENBLAS_CORETYPE when the user set it', () => {
    expect(chooseOpenBlasCore('libopenblas.so.0', { OPENBLAS_CORETYPE: 'Haswell' })).toEqual({ core: null, detected: null, cpu: null });
  });

  const userCore = process.env.OPENBLAS_CORETYPE;
  const here = loadBlas().blas;
  const linuxX64 = os.platform() === 'linux' && os.arch() === 'x64';
  (here?.vendor === 'openblas' && linuxX64 && userCore === undefined ? it : it.skip)('on this machine: the loaded OpenBLAS uses kernels at least as new as the CPU allows', () => {
    const flags = /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim().split(/\s+/) ?? [];
    const cpu = cpuSimdLevel(flags);
    const choice = chooseOpenBlasCore(here!.library, {});
    expect(choice.cpu).toBe(cpu === 'sse' || cpu === 'avx' ? choice.cpu : cpu);
    expect(here!.core).toBeTruthy();
    // Whatever OpenBLAS detects by itself, the core in use is not a generic fallback on an AVX2+ CPU.
    if (cpu === 'avx2' || cpu === 'avx512') expect(coreOverride(here!.core!, cpu)).toBeNull();
    if (choice.core) {
      expect(here!.core!.toLowerCase()).toBe(choice.core.toLowerCase());
      expect(here!.coreFallback).toBe(choice.detected);
    }
    // The override applies only while loading: nothing is left in the environment.
    expect(process.env.OPENBLAS_CORETYPE).toBeUndefined();
  });

  it('a probe cache write that fails leaves nothing behind (issue 20)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-probe-'));
    try {
      const file = path.join(dir, 'openblas-core-0123456789abcdef.txt');
      expect(writeProbeCache(file, 'Haswell')).toBe(true);
      expect(fs.readFileSync(file, 'utf8')).toBe('Haswell');
      // The cache file's name taken by a non-empty folder: the rename fails, nothing is left over.
      fs.rmSync(file);
      fs.mkdirSync(path.join(file, 'x'), { recursive: true });
      expect(writeProbeCache(file, 'Haswell')).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([path.basename(file)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
