import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES } from '@apogee/core';

/** A snapshot's files: path relative to the snapshot root (with `/`) → content. */
export type SnapshotFiles = Map<string, Buffer>;

let counter = 0;

/** Every regular file under `dir`, by relative path (sorted), read into memory. */
export async function readSnapshotFiles(dir: string): Promise<SnapshotFiles> {
  const files: SnapshotFiles = new Map();
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.promises.readdir(path.join(dir, rel), { withFileTypes: true }).catch((cause: NodeJS.ErrnoException) => {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Cannot publish snapshot ${dir}: ${cause.code ?? cause.message}.`, { cause });
    });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile() && !e.name.endsWith('.tmp')) files.set(r, await fs.promises.readFile(path.join(dir, r)));
    }
  };
  await walk('');
  return files;
}

/** SHA-256 over the sorted (path, size, bytes) of a snapshot's files: its name everywhere. */
export function hashSnapshot(files: SnapshotFiles): string {
  const h = createHash('sha256');
  for (const name of [...files.keys()].sort()) {
    const data = files.get(name)!;
    h.update(`${name}\0${data.length}\0`);
    h.update(data);
  }
  return h.digest('hex');
}

/**
 * Write `files` as directory `<root>/<hash>`, atomically (a temporary directory renamed into
 * place): concurrent writers of the same hash leave one complete copy, and a reader never sees a
 * half-written snapshot.
 */
export async function materializeSnapshot(root: string, hash: string, files: SnapshotFiles): Promise<string> {
  const target = path.join(root, hash);
  if (fs.existsSync(target)) return target;
  const tmp = path.join(root, `.${hash}.${process.pid}.${counter++}.tmp`);
  await fs.promises.mkdir(tmp, { recursive: true });
  try {
    for (const [name, data] of files) {
      const file = path.join(tmp, ...name.split('/'));
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      await fs.promises.writeFile(file, data);
    }
    await fs.promises.rename(tmp, target).catch((e: NodeJS.ErrnoException) => {
      // Another process published the same hash first: its copy has the same bytes.
      if (!fs.existsSync(target)) throw e;
    });
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
  return target;
}

/** The default snapshot cache of this machine (`$APOGEE_SNAPSHOT_DIR`, else `<tmp>/apogee-snapshots`). */
export function defaultSnapshotDir(): string {
  return process.env.APOGEE_SNAPSHOT_DIR || path.join(os.tmpdir(), 'apogee-snapshots');
}

/**
 * Snapshots in a directory every worker can read (this machine's temp dir for in-process and local
 * pools; a shared mount for queues whose models are too big for Redis): `<root>/<sha256>/…`.
 */
export class DirectorySnapshotStore {
  constructor(readonly root: string = defaultSnapshotDir()) {}

  async publish(dir: string): Promise<string> {
    const files = await readSnapshotFiles(dir);
    const hash = hashSnapshot(files);
    await materializeSnapshot(this.root, hash, files);
    return hash;
  }

  async fetch(hash: string): Promise<string> {
    const dir = path.join(this.root, hash);
    if (!fs.existsSync(dir)) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `Snapshot ${hash} is not in ${this.root}.`, {
        hint: 'Workers must see the directory the coordinator publishes to (executor.snapshotDir): mount it at the same path on every machine.',
      });
    }
    return dir;
  }
}
