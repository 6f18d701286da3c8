/**
 * OpenBLAS kernel choice. A `DYNAMIC_ARCH` OpenBLAS picks its kernels ("core") from the CPU's
 * model number when it is loaded; a release older than the CPU does not know the model and falls
 * back to its oldest x86-64 kernels (Prescott, SSE3), ~5× slower on an AVX-512 machine (measured:
 * OpenBLAS 0.3.21 on a Sapphire Rapids VM, sgemm 1024³ at 27 against 126 GFLOP/s). The core can only
 * be chosen before the library is loaded (`OPENBLAS_CORETYPE`), so apogee asks a child process
 * which core the library would pick and, when that is a generic fallback on a CPU with AVX2 or
 * AVX-512, loads it with the matching core instead. See docs/decisions/0016-openblas-core-type.md.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';

/** Vector-instruction level of an x86-64 CPU or of an OpenBLAS core's kernels. */
export type SimdLevel = 'sse' | 'avx' | 'avx2' | 'avx512';
const RANK: Record<SimdLevel, number> = { sse: 0, avx: 1, avx2: 2, avx512: 3 };

/** The OpenBLAS core apogee asks for on a CPU of each level (the oldest core with that level's kernels). */
export const CORE_FOR_LEVEL: Readonly<Record<'avx2' | 'avx512', string>> = { avx2: 'Haswell', avx512: 'SkylakeX' };

/**
 * The instruction level of OpenBLAS's x86-64 core names (lower case, as `openblas_get_corename()`
 * returns them); names not listed (other architectures, future cores) count as up to date.
 */
const CORE_LEVEL: Readonly<Record<string, SimdLevel>> = {
  katmai: 'sse', coppermine: 'sse', northwood: 'sse', prescott: 'sse', banias: 'sse', core2: 'sse', penryn: 'sse',
  dunnington: 'sse', nehalem: 'sse', atom: 'sse', opteron: 'sse', opteron_sse3: 'sse', barcelona: 'sse', nano: 'sse',
  bobcat: 'sse', bulldozer: 'avx', piledriver: 'avx', steamroller: 'avx', excavator: 'avx', sandybridge: 'avx',
  haswell: 'avx2', zen: 'avx2', skylakex: 'avx512', cooperlake: 'avx512', sapphirerapids: 'avx512',
};

/** The CPU's vector level from its `/proc/cpuinfo` flags line (AVX-512: F, BW, DQ and VL, as SkylakeX kernels need). */
export function cpuSimdLevel(flags: readonly string[]): SimdLevel {
  const has = new Set(flags);
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => has.has(f))) return 'avx512';
  if (has.has('avx2') && has.has('fma')) return 'avx2';
  if (has.has('avx')) return 'avx';
  return 'sse';
}

/**
 * The core apogee should force, or null to leave OpenBLAS's own choice: only when OpenBLAS picked
 * SSE or AVX kernels on a CPU with AVX2 or better (a model it does not know), never to second-guess
 * a choice of the CPU's generation.
 */
export function coreOverride(detected: string, cpu: SimdLevel): string | null {
  const level = CORE_LEVEL[detected.trim().toLowerCase()];
  if (level === undefined || RANK[level] >= RANK.avx2) return null;
  if (cpu === 'avx512') return CORE_FOR_LEVEL.avx512;
  if (cpu === 'avx2') return CORE_FOR_LEVEL.avx2;
  return null;
}

function readCpuFlags(): string[] | null {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^flags\s*:(.*)$/m.exec(text);
    return line ? line[1].trim().split(/\s+/) : null;
  } catch {
    return null;
  }
}

/** Asks a child process which core `library` picks on its own (`null`: it could not tell). */
function probeCore(library: string): string | null {
  let koffiPath: string;
  try {
    koffiPath = require.resolve('koffi');
  } catch {
    return null;
  }
  const script = `const k = require(${JSON.stringify(koffiPath)}); const l = k.load(${JSON.stringify(library)});
process.stdout.write(String(l.func('const char* openblas_get_corename()')()));`;
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_VERBOSE;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env, timeout: 30_000 });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/**
 * Store a probe result atomically (temporary file, rename). Any failure only costs the next
 * process another probe, and leaves no temporary file behind (issue 20). Returns whether it stored.
 */
export function writeProbeCache(file: string, detected: string): boolean {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch {
    return false;
  }
  const tmp = `${file}.${process.pid}.${threadId}.tmp`;
  try {
    fs.writeFileSync(tmp, detected);
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing more can be done; the name is unique to this process and thread
    }
    return false;
  }
}

/** Where probe results are kept between processes: keyed by the library file and the CPU. */
function cacheFile(library: string, cpuKey: string): string | null {
  let stat: fs.Stats;
  let real: string;
  try {
    real = fs.realpathSync(library);
    stat = fs.statSync(real);
  } catch {
    return null; // a soname (found by the loader): resolved below through the probe only
  }
  const key = crypto.createHash('sha256').update(`${real}\0${stat.size}\0${stat.mtimeMs}\0${cpuKey}`).digest('hex').slice(0, 16);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(os.tmpdir(), `apogee-${uid}`, `openblas-core-${key}.txt`);
}

/** The directories the dynamic loader searches for a soname, to find the file behind it. */
function locate(library: string): string {
  if (library.includes('/')) return library;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/local/lib', '/usr/lib64', '/usr/lib', '/lib',
  ];
  for (const dir of dirs) {
    const p = path.join(dir, library);
    if (fs.existsSync(p)) return p;
  }
  return library;
}

export interface CoreChoice {
  /** The core to force with `OPENBLAS_CORETYPE` while loading, or null. */
  core: string | null;
  /** What OpenBLAS picks by itself (when it was asked), e.g. `Prescott`. */
  detected: string | null;
  /** The CPU's vector level, when known. */
  cpu: SimdLevel | null;
}

/**
 * Decides the OpenBLAS core for `library` before it is loaded. Nothing is forced when
 * `OPENBLAS_CORETYPE` is already set (the user's choice), off x86-64 Linux, or when the CPU has no
 * AVX2. The child-process answer (~0.15 s) is cached under the OS temp directory per library file
 * and CPU, so later processes only read a file.
 */
export function chooseOpenBlasCore(library: string, env: NodeJS.ProcessEnv = process.env): CoreChoice {
  const none: CoreChoice = { core: null, detected: null, cpu: null };
  if (env.OPENBLAS_CORETYPE !== undefined || os.platform() !== 'linux' || os.arch() !== 'x64') return none;
  const flags = readCpuFlags();
  if (!flags) return none;
  const cpu = cpuSimdLevel(flags);
  if (RANK[cpu] < RANK.avx2) return { ...none, cpu };
  const file = cacheFile(locate(library), `${os.cpus()[0]?.model ?? ''}\0${cpu}`);
  let detected: string | null = null;
  if (file) {
    try {
      detected = fs.readFileSync(file, 'utf8').trim() || null;
    } catch {
      // not probed yet
    }
  }
  if (!detected) {
    detected = probeCore(library);
    if (detected && file) {
      writeProbeCache(file, detected);
    }
  }
  return { core: detected ? coreOverride(detected, cpu) : null, detected, cpu };
}
