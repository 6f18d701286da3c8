// Streaming benchmark: generate a large HH-style JSONL (or JSON array) file, read it record by record
// with @apogee/data in a fresh child process, and report the child's peak RSS.
//
//   npx tsx --conditions=@apogee/source packages/data/bench/data-stream.ts [--mb 1024] [--json] [--gzip] [--dir /tmp] [--keep]
//
// Prints one JSON line: file size, records, seconds, MB/s, RSS after imports and peak RSS of the reader.
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { once } from 'node:events';
import { DataLoader } from '../src';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};

/** One HH record of roughly 1 KB whose text varies with `i` (non-ASCII punctuation included). */
function record(i: number): string {
  const turn = `I’d like to know about topic ${i}, and “why” it matters… `.repeat(3);
  const prompt = `\n\nHuman: ${turn}\n\nAssistant: Sure, here is what I know about ${i}.\n\nHuman: Tell me more about ${i * 7}.\n\nAssistant:`;
  return JSON.stringify({ chosen: `${prompt} A helpful answer number ${i}. ${'More detail. '.repeat(20)}`, rejected: `${prompt} An unhelpful answer ${i}. ${'Less. '.repeat(15)}` });
}

async function generate(file: string, bytes: number, json: boolean, gzip: boolean): Promise<number> {
  const out = fs.createWriteStream(file);
  const sink: NodeJS.WritableStream = gzip ? zlib.createGzip({ level: 1 }) : out;
  if (gzip) (sink as zlib.Gzip).pipe(out);
  let written = 0;
  let n = 0;
  if (json) sink.write('[\n');
  while (written < bytes) {
    let block = '';
    for (let k = 0; k < 256; k++, n++) block += (json && n > 0 ? ',\n' : '') + record(n) + (json ? '' : '\n');
    written += Buffer.byteLength(block);
    if (!sink.write(block)) await once(sink, 'drain');
  }
  if (json) sink.write('\n]\n');
  sink.end();
  await once(out, 'close');
  return n;
}

async function readChild(file: string): Promise<void> {
  const rssAfterImport = process.memoryUsage().rss;
  let peak = rssAfterImport;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = process.hrtime.bigint();
  const loader = new DataLoader({ policy: 'skip' });
  let records = 0;
  let chars = 0;
  for await (const item of loader.preferenceItems(file)) {
    records++;
    chars += item.prompt.length;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  peak = Math.max(peak, maxRss);
  process.stdout.write(
    JSON.stringify({ records, problems: loader.report.problemCount, seconds, rssAfterImportMB: rssAfterImport / 2 ** 20, peakRssMB: peak / 2 ** 20, chars }) + '\n',
  );
}

async function main(): Promise<void> {
  if (flag('child')) return readChild(value('file', ''));
  const mb = Number(value('mb', '1024'));
  const json = flag('json');
  const gzip = flag('gzip');
  const dir = value('dir', os.tmpdir());
  const file = path.join(dir, `apogee-data-stream-${mb}mb${json ? '.json' : '.jsonl'}${gzip ? '.gz' : ''}`);
  const t0 = Date.now();
  const generated = await generate(file, mb * 2 ** 20, json, gzip);
  const genSeconds = (Date.now() - t0) / 1000;
  const size = fs.statSync(file).size;
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', '--file', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (!flag('keep')) fs.rmSync(file, { force: true });
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    process.exit(1);
  }
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!);
  const uncompressedMB = (mb * 2 ** 20) / 2 ** 20;
  process.stdout.write(
    JSON.stringify({
      file: path.basename(file),
      fileMB: +(size / 2 ** 20).toFixed(1),
      uncompressedMB: +uncompressedMB.toFixed(0),
      generated,
      genSeconds,
      records: r.records,
      problems: r.problems,
      readSeconds: +r.seconds.toFixed(2),
      MBps: +(uncompressedMB / r.seconds).toFixed(1),
      rssAfterImportMB: +r.rssAfterImportMB.toFixed(1),
      peakRssMB: +r.peakRssMB.toFixed(1),
      node: process.version,
    }) + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
