import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES } from '@apogee/core';

/** A redis-server started by {@link startRedisServer}. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stop the server (SIGTERM, then SIGKILL after 5 s) and remove its directory. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start a throw-away `redis-server` on a free loopback port, in its own temporary directory, with
 * persistence off; for tests and trying things out. Nothing is left running after `stop()` (and the
 * server dies with this process: it is a child, killed on exit).
 */
export async function startRedisServer(options: { bin?: string } = {}): Promise<RedisServer> {
  const bin = options.bin ?? process.env.APOGEE_REDIS_SERVER ?? 'redis-server';
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-redis-'));
    const child: ChildProcess = spawn(
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--maxmemory-policy', 'noeviction'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    const ready = await new Promise<boolean>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve(true);
        if (/Address already in use|Could not create server TCP/.test(out)) resolve(false);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, `Cannot start ${bin}: ${e.code ?? e.message}.`, {
            hint: 'Install Redis (Debian: apt-get install redis-server) or set APOGEE_REDIS_SERVER to its path.',
          }),
        ),
      );
      child.on('exit', () => resolve(false));
    });
    const stop = async () => {
      process.removeListener('exit', kill);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    };
    if (ready) {
      child.stdout!.resume();
      child.stderr!.resume();
      return { url: `redis://127.0.0.1:${port}`, port, dir, stop };
    }
    await stop();
    if (tries >= 4) throw new ApogeeError(ERROR_CODES.BACKEND_UNAVAILABLE, `redis-server did not start (5 tries).`);
  }
}
