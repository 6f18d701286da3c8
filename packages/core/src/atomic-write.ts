import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

/**
 * Write a file so that readers see either the old content or the new, never a torn one: write to a
 * temporary file in the same directory, fsync it, rename over the target, fsync the directory.
 * A crash at any point leaves the previous file intact. A write that fails (the data's source
 * throws, the disk is full, the rename is refused) leaves the directory exactly as it was before
 * the promise rejects: the temporary file is removed, and so are the folders this call created.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const dir = path.dirname(file);
  const created = await fs.promises.mkdir(dir, { recursive: true });
  const tmp = temporaryPath(file);
  let handle: fs.promises.FileHandle | undefined;
  let renamed = false;
  try {
    handle = await fs.promises.open(tmp, 'w');
    const chunks = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) await handle.write(chunk as Uint8Array);
    await handle.sync();
    const h = handle;
    handle = undefined;
    await h.close();
    await fs.promises.rename(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) {
      await handle?.close().catch(() => undefined);
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      await removeCreatedDirs(dir, created);
    }
  }
  await syncDir(dir);
}

/** A fresh temporary name beside `file` (`.<name>.<pid>.<n>.tmp`), for writers that rename into place. */
export function temporaryPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
}

/**
 * Undo `mkdir(dir, { recursive: true })` after a failed write: remove the folders from `dir` up to
 * `created` (the first one it made), each only if empty, so nothing another writer put there goes.
 */
export async function removeCreatedDirs(dir: string, created: string | undefined): Promise<void> {
  if (!created) return;
  let d = dir;
  for (;;) {
    try {
      await fs.promises.rmdir(d);
    } catch {
      return;
    }
    if (path.resolve(d) === path.resolve(created)) return;
    const up = path.dirname(d);
    if (up === d) return;
    d = up;
  }
}

/** `writeFileAtomic` of pretty-printed JSON with a trailing newline. */
export function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** fsync a directory so a rename inside it is durable (no-op where the OS does not allow it). */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}
