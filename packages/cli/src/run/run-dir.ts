import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES } from '@apogee/core';

/**
 * The file that marks a folder as one apogee created for its output (`run`, `train-rm`,
 * `quickstart`). apogee writes into a folder only when it is new, empty, or holds this marker, so
 * it never overwrites or deletes files it did not create (docs/guides/run-directory.md).
 */
export const OUT_DIR_MARKER = '.apogee-out.json';
/** The advisory lock of a run directory while a command works in it. */
export const RUN_LOCK_FILE = '.apogee-lock';

/**
 * Make `dir` the output folder of `command`: create it (with the marker) when it does not exist or
 * is empty; accept it when apogee made it; refuse a non-empty folder of the user's, naming it.
 */
export function claimOutDir(dir: string, command: string, shown = dir): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    fs.mkdirSync(dir, { recursive: true });
    entries = [];
  }
  if (entries.includes(OUT_DIR_MARKER)) return;
  // Output folders written before the marker existed: a run (config.yaml + checkpoints/), a
  // train-rm output (model/ + summary.json + metrics.jsonl) or a quickstart (summary.json + seed-runs.json).
  const has = (...names: string[]) => names.every((n) => entries.includes(n));
  const legacy = has('checkpoints', 'config.yaml') || has('model', 'summary.json', 'metrics.jsonl') || has('summary.json', 'seed-runs.json');
  if (entries.length > 0 && !legacy) {
    const some = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, … (${entries.length} entries)` : '');
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${shown} is not empty and is not an apogee output folder (it holds ${some}).`, {
      hint: 'apogee writes only into a new or empty folder, or one it created, so it never overwrites or deletes your files: choose another --out (a new folder is created).',
    });
  }
  fs.writeFileSync(path.join(dir, OUT_DIR_MARKER), `${JSON.stringify({ createdBy: `apogee ${command}`, time: new Date().toISOString() })}\n`);
}

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  time: string;
}

/** Whether a process that wrote a lock is still running (same host only; a dead pid is stale). */
function alive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true; // another machine's process: cannot tell, assume it runs
  if (info.pid === process.pid) return false; // our own stale lock (an earlier call in this process)
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A recycled pid: the process there now is not node/apogee.
  try {
    const cmd = fs.readFileSync(`/proc/${info.pid}/cmdline`, 'utf8');
    return /node|apogee/.test(cmd);
  } catch {
    return true;
  }
}

/**
 * Take the advisory lock of a run directory: two `apogee resume` (or `run`) on one folder would
 * interleave their checkpoints and duplicate metrics rows. A lock left by a killed process (its
 * pid no longer runs) is taken over. Returns the release function.
 */
export function lockRunDir(dir: string, command: string, shown = dir): () => void {
  const file = path.join(dir, RUN_LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), command, time: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, text, { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === text) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    } catch {
      held = undefined; // unreadable or half-written: a crash while locking; treat as stale
    }
    if (held && typeof held.pid === 'number' && alive(held)) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${shown} is in use by another apogee process (${held.command}, pid ${held.pid} on ${held.host}, since ${held.time}).`, {
        hint: `Wait for it to finish or stop it. If no apogee process works there any more, remove ${path.join(shown, RUN_LOCK_FILE)}.`,
      });
    }
    fs.rmSync(file, { force: true });
  }
  throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Cannot lock ${shown}: another process keeps taking its lock.`);
}

/**
 * Cut an incomplete last line (a crash mid-append) off a line-oriented log, so that appending
 * continues on a line of its own. Returns the bytes removed (0 when the file ends with a newline).
 */
export function repairLastLine(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return 0;
    const buf = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - buf.length);
      const n = fs.readSync(fd, buf, 0, end - start, start);
      const at = buf.subarray(0, n).lastIndexOf(0x0a);
      if (end === size && n > 0 && buf[n - 1] === 0x0a) return 0;
      if (at >= 0) {
        const keep = start + at + 1;
        fs.ftruncateSync(fd, keep);
        fs.fsyncSync(fd);
        return size - keep;
      }
      end = start;
    }
    fs.ftruncateSync(fd, 0);
    return size;
  } finally {
    fs.closeSync(fd);
  }
}
