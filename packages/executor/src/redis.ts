import * as fs from 'node:fs';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { DirectorySnapshotStore, defaultSnapshotDir, hashSnapshot, materializeSnapshot, readSnapshotFiles, TRAINING_STATE_FILES } from './snapshots';

/** Check a queue URL's form: `redis://[user:pass@]host:port[/db]` or `rediss://…`. */
export function checkRedisUrl(url: string, option = 'executor.url'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${option} must be a Redis URL such as redis://127.0.0.1:6379, got "${url}".`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${option} must start with redis:// or rediss://, got "${url}".`);
  }
  return url;
}

/** The URL without its password, for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Connect once, with no retries, and PING: a Redis that is down, unreachable or refusing us gives
 * one clear error naming the URL, instead of ioredis retrying quietly for ever.
 */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  checkRedisUrl(url);
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (cause) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Cannot reach Redis at ${displayUrl(url)}: ${(cause as Error).message || String(cause)}.`, {
      hint: 'Start redis-server there (or fix the host, port and password in --queue / executor.url).',
      cause,
    });
  } finally {
    client.disconnect();
  }
}

/** A connection for BullMQ (no per-request retry limit, as its blocking commands need); errors are reported, not thrown at random. */
export function redisConnection(url: string, onError?: (e: Error) => void): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  client.on('error', (e: Error) => onError?.(e));
  return client;
}

const KEY = (hash: string) => `apogee:snapshot:${hash}`;
/** Snapshots live for a week after their last publication. */
const SNAPSHOT_TTL_S = 7 * 24 * 3600;

/**
 * Snapshots through Redis: the coordinator stores each snapshot's files once, as one hash keyed by
 * content (`apogee:snapshot:<sha256>`); a worker fetches it the first time a job names it and keeps
 * it in its local cache (`$APOGEE_SNAPSHOT_DIR` or the temp dir). With `sharedDir` (a directory
 * every machine mounts at the same path) the bytes go there instead and Redis only holds the path:
 * for models too big to pass through Redis comfortably (a GPT-2-124M snapshot is ~500 MB).
 */
export class RedisSnapshotStore {
  private readonly shared?: DirectorySnapshotStore;
  private readonly cacheRoot: string;

  constructor(
    private readonly client: Redis,
    private readonly url: string,
    options: { sharedDir?: string; cacheDir?: string } = {},
  ) {
    this.shared = options.sharedDir ? new DirectorySnapshotStore(options.sharedDir) : undefined;
    this.cacheRoot = options.cacheDir ?? path.join(defaultSnapshotDir(), 'redis');
  }

  async publish(dir: string): Promise<string> {
    if (this.shared) {
      const hash = await this.shared.publish(dir);
      await this.client.set(`${KEY(hash)}:dir`, path.join(this.shared.root, hash), 'EX', SNAPSHOT_TTL_S);
      return hash;
    }
    const files = await readSnapshotFiles(dir, { exclude: TRAINING_STATE_FILES });
    const hash = hashSnapshot(files);
    const key = KEY(hash);
    if ((await this.client.exists(key)) === 0) {
      const tmp = `${key}:tmp:${process.pid}:${Date.now()}`;
      await this.client.hset(tmp, Object.fromEntries(files));
      // Readers see the whole snapshot or none of it.
      await this.client.rename(tmp, key);
    }
    await this.client.expire(key, SNAPSHOT_TTL_S);
    return hash;
  }

  async fetch(hash: string): Promise<string> {
    const local = path.join(this.cacheRoot, hash);
    if (fs.existsSync(local)) return local;
    const sharedPath = await this.client.get(`${KEY(hash)}:dir`);
    if (sharedPath && fs.existsSync(sharedPath)) return sharedPath;
    const fields = await this.client.hgetallBuffer(KEY(hash));
    if (Object.keys(fields).length === 0) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `Snapshot ${hash} is neither in Redis at ${displayUrl(this.url)} nor in a directory this worker sees${sharedPath ? ` (${sharedPath})` : ''}.`, {
        hint: sharedPath ? 'Mount the shared snapshot directory at the same path on every worker machine.' : 'Snapshots expire a week after publication; restart the run.',
      });
    }
    return materializeSnapshot(this.cacheRoot, hash, new Map(Object.entries(fields)));
  }
}
