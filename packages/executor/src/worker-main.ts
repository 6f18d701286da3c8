// A bare queue worker process: `node worker-main.js --queue redis://HOST:PORT [--concurrency N]
// [--queue-name NAME] [--lock-ms MS] [--stalled-ms MS]`. `apogee worker` is the command users run;
// this entry exists so the package's tests (and users without the CLI) can start one.
import { startQueueWorker } from './bullmq';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const url = arg('--queue');
  if (!url) {
    process.stderr.write('usage: worker-main --queue redis://HOST:PORT [--concurrency N]\n');
    process.exit(2);
  }
  const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
  const worker = await startQueueWorker({
    url,
    queue: arg('--queue-name'),
    concurrency: num('--concurrency'),
    lockDurationMs: num('--lock-ms'),
    stalledIntervalMs: num('--stalled-ms'),
    onError: (e) => process.stderr.write(`worker: ${e.message}\n`),
  });
  process.stdout.write(`ready ${process.pid}\n`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void worker.close().then(() => process.exit(0)));
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
