import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES } from '@apogee/core';

/** A snapshot's files: path relative to the snapshot root (with `/`) → content. */
export type SnapshotFiles = Map<string, Buffer>;

let counter = 0;

/**
 * Files of a model directory that a snapshot for jobs leaves out: the optimizer state of a
 * checkpoint (`optimizer.safetensors`, `optimizer.json`: the checkpoint layout of
 * `@apogee/model-kit`, `CHECKPOINT_FILES`). Jobs sample, score and evaluate; training stays in the
 * coordinator, so no worker reads it, and for AdamW it is twice the size of the weights.
 */
export const TRAINING_STATE_FILES: readonly string[] = ['optimizer.safetensors', 'optimizer.json'];

/**
 * Every regular file under `dir`, by relative path (sorted), read into memory; `exclude` names
 * files at the top of `dir` to leave out (by default none).
 */
export async function readSnapshotFiles(dir: string, options: { exclude?: readonly string[] } = {}): Promise<SnapshotFiles> {
  const exclude = new Set(options.exclude ?? []);
  const files: SnapshotFiles = new Map();
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.promises.readdir(path.join(dir, rel), { withFileTypes: true }).catch((cause: NodeJS.ErrnoException) => {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Cannot publish snapshot ${dir}: ${cause.code ?? cause.message}.`, { cause });
    });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && exclude.has(e.name)) continue;
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
 * A directory of one executor's own under `base` (`run-<host>-<pid>-<ms>-<n>`): its snapshots are
 * removed with it when the executor closes, and never shared with another run (whose close would
 * remove them under it).
 */
export function runSnapshotDir(base: string = defaultSnapshotDir()): string {
  return path.join(base, `${RUN_PREFIX}${safeHost()}-${process.pid}-${Date.now()}-${counter++}`);
}

const RUN_PREFIX = 'run-';
const safeHost = () => os.hostname().replace(/[^A-Za-z0-9.]/g, '_');

/**
 * Remove the run directories under `base` left by processes of this host that no longer exist (a
 * coordinator killed before it could close its executor). Directories of other hosts (a shared
 * mount) and of live processes are left alone. Returns the directories removed.
 */
export async function pruneStaleRunDirs(base: string = defaultSnapshotDir()): Promise<string[]> {
  const entries = await fs.promises.readdir(base).catch(() => [] as string[]);
  const mine = `${RUN_PREFIX}${safeHost()}-`;
  const removed: string[] = [];
  for (const name of entries) {
    if (!name.startsWith(mine)) continue;
    const pid = Number(name.slice(mine.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    const dir = path.join(base, name);
    await fs.promises.rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Snapshots in a directory every worker can read (this machine's temp dir for in-process and local
 * pools; a shared mount for queues whose models are too big for Redis): `<root>/<sha256>/…`, the
 * model's files without its optimizer state ({@link TRAINING_STATE_FILES}). With `owned`, the
 * store's root is the executor's own ({@link runSnapshotDir}) and {@link dispose} removes it.
 */
export class DirectorySnapshotStore {
  constructor(
    readonly root: string = defaultSnapshotDir(),
    private readonly options: { owned?: boolean } = {},
  ) {}

  /** A store in a fresh directory of its own under `base`, removed by {@link dispose}. */
  static owned(base?: string): DirectorySnapshotStore {
    return new DirectorySnapshotStore(runSnapshotDir(base), { owned: true });
  }

  private pruned = false;

  async publish(dir: string): Promise<string> {
    if (this.options.owned && !this.pruned) {
      // Once per store: what killed coordinators of this machine left beside it.
      this.pruned = true;
      await pruneStaleRunDirs(path.dirname(this.root));
    }
    const files = await readSnapshotFiles(dir, { exclude: TRAINING_STATE_FILES });
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

  /** An owned store: remove its directory and every snapshot in it. Others: nothing. */
  async dispose(): Promise<void> {
    if (this.options.owned) await fs.promises.rm(this.root, { recursive: true, force: true });
  }
}
