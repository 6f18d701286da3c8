import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import streamArray = require('stream-json/streamers/stream-array.js');
import streamValues = require('stream-json/streamers/stream-values.js');
import { completeUtf8Prefix, fatalDecoder, invalidUtf8Offset } from './utf8';

/**
 * How records are laid out in a file, found from its content: `json` (a top-level array, or a
 * single pretty-printed object), `jsonl` (one JSON value per line) or `text` (one record per line).
 */
export type Container = 'json' | 'jsonl' | 'text';

/** Where a record is: a line of a JSONL/text file, or an index of a JSON array. */
export interface RecordLocation {
  file: string;
  /** 1-based line (JSONL and text files, and UTF-8 errors anywhere). */
  line?: number;
  /** 0-based index in a top-level JSON array. */
  arrayIndex?: number;
}

/** One raw record, or the reason it could not be read. */
export type RawRecord =
  | { kind: 'value'; value: unknown; loc: RecordLocation }
  /** A record that exists but is unreadable (invalid JSON or UTF-8 on its line); the rest of the file is fine. */
  | { kind: 'bad'; loc: RecordLocation; message: string }
  /** The file cannot be read past this point (truncated gzip, broken JSON array, I/O error). */
  | { kind: 'fatal'; loc: RecordLocation; message: string };

export interface SourceInfo {
  gzip: boolean;
  container: Container;
}

/** `file:12` for lines, `file[12]` for array items. */
export function formatLocation(loc: RecordLocation): string {
  if (loc.arrayIndex !== undefined) return `${loc.file}[${loc.arrayIndex}]`;
  if (loc.line !== undefined) return `${loc.file}:${loc.line}`;
  return loc.file;
}

const GZIP_MAGIC = [0x1f, 0x8b];
/** stream-chain's end-of-input marker (a registered symbol, so stream-json's own dependency need not be imported). */
const END_OF_INPUT = Symbol.for('object-stream.none');
/** Longest line of a JSON Lines or text file, in bytes (`ReadOptions.maxLineBytes`). */
export const DEFAULT_MAX_LINE_BYTES = 64 << 20;
const CHUNK = 1 << 20;

/** A raised condition that becomes a `fatal` record. */
class SourceFault extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

function ioMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return 'file not found';
  if (err?.code === 'EISDIR') return 'is a directory, not a file';
  if (err?.code === 'EACCES') return 'permission denied';
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(String(err?.message))) {
    return 'truncated gzip: the compressed data ends before the end of the stream (was the download or copy cut short?)';
  }
  if (typeof err?.code === 'string' && err.code.startsWith('Z_')) return `corrupt gzip data (${err.message})`;
  return err instanceof SourceFault ? err.message : `cannot read: ${err?.message ?? String(e)}`;
}

/** Whether the file starts with the gzip magic bytes 1f 8b (its name is never consulted). */
export async function isGzipFile(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** The file's bytes, decompressed when it is gzip. */
async function* byteChunks(file: string, gzip: boolean): AsyncGenerator<Buffer> {
  const input = fs.createReadStream(file, { highWaterMark: CHUNK });
  if (!gzip) {
    yield* input as AsyncIterable<Buffer>;
    return;
  }
  const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
  pipeline(input, gunzip, () => undefined);
  yield* gunzip as AsyncIterable<Buffer>;
}

/** Chunks with a byte-order mark removed and the first meaningful byte known. */
async function sniff(chunks: AsyncGenerator<Buffer>): Promise<{ first: number | undefined; head: Buffer[]; rest: AsyncGenerator<Buffer> }> {
  const head: Buffer[] = [];
  let first: number | undefined;
  let offset = 0;
  while (first === undefined) {
    const next = await chunks.next();
    if (next.done) break;
    let chunk = next.value;
    if (offset === 0 && head.length === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
      chunk = chunk.subarray(3);
    }
    head.push(chunk);
    offset += chunk.length;
    for (const byte of chunk) {
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) {
        first = byte;
        break;
      }
    }
  }
  return { first, head, rest: chunks };
}

/**
 * UTF-16/32 text found from a byte-order mark or, without one, from zero bytes at every other
 * position of the first bytes (ASCII text in UTF-16). UTF-8 text never holds zero bytes.
 */
function wideEncoding(head: Buffer[]): string | undefined {
  const b = head.length === 1 ? head[0] : Buffer.concat(head);
  const n = Math.min(b.length, 4096);
  if (n >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'UTF-32LE (byte-order mark FF FE 00 00)';
  if (n >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32BE (byte-order mark 00 00 FE FF)';
  if (n >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'UTF-16LE (byte-order mark FF FE)';
  if (n >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'UTF-16BE (byte-order mark FE FF)';
  if (n < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i + 1 < n; i += 2) {
    if (b[i] === 0) evenZeros++;
    if (b[i + 1] === 0) oddZeros++;
  }
  const pairs = Math.floor(n / 2);
  if (oddZeros > pairs * 0.6 && evenZeros < pairs * 0.1) return 'UTF-16LE';
  if (evenZeros > pairs * 0.6 && oddZeros < pairs * 0.1) return 'UTF-16BE';
  return undefined;
}

async function* concat(head: Buffer[], rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  for (const h of head) yield h;
  yield* rest;
}

interface Line {
  line: number;
  text?: string;
  /** Set when the line is not valid UTF-8. */
  utf8Error?: string;
}

function utf8Problem(bytes: Uint8Array): string {
  const at = invalidUtf8Offset(bytes);
  const col = at < 0 ? '' : ` at byte ${at + 1} of the line (0x${bytes[at].toString(16).padStart(2, '0')})`;
  return `invalid UTF-8${col}; re-encode the file as UTF-8`;
}

/**
 * Lines of a byte stream, each decoded with a fatal UTF-8 decoder. A block of whole lines is
 * decoded at once (fast path); only when that fails is each line decoded alone to find the bad ones.
 */
async function* decodedLines(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<Line> {
  const decoder = fatalDecoder();
  // The unfinished last line: its pieces, joined once its end arrives (joining per chunk made one
  // long line cost quadratic time).
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let lineNo = 1;
  function* block(bytes: Buffer): Generator<Line> {
    let text: string | undefined;
    try {
      text = decoder.decode(bytes);
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const parts = text.split('\n');
      if (parts[parts.length - 1] === '') parts.pop();
      for (const p of parts) yield { line: lineNo++, text: p.endsWith('\r') ? p.slice(0, -1) : p };
      return;
    }
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      const one = bytes.subarray(start, end);
      try {
        const t = decoder.decode(one);
        yield { line: lineNo++, text: t.endsWith('\r') ? t.slice(0, -1) : t };
      } catch {
        yield { line: lineNo++, utf8Error: utf8Problem(one) };
      }
      start = end + 1;
    }
  }
  const tooLong = (line: number) =>
    new SourceFault(
      `line ${line} is longer than ${formatBytes(maxLineBytes)} (the "maxLineBytes" limit); the rest of the file was not read. ` +
        'Is this a data file? Records are one per line in JSON Lines and text files.',
      line,
    );
  for await (const chunk of chunks) {
    const last = chunk.lastIndexOf(0x0a);
    if (last >= 0) {
      // Every line ending in this chunk must fit (the first one with the carried head).
      let lineStart = -carryBytes;
      let line = lineNo;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, nl + 1)) {
        if (nl - lineStart > maxLineBytes) throw tooLong(line);
        lineStart = nl + 1;
        line++;
      }
      const body = chunk.subarray(0, last + 1);
      yield* block(carry.length > 0 ? Buffer.concat([...carry, body]) : body);
      carry = [];
      carryBytes = 0;
    }
    if (last + 1 < chunk.length) {
      carry.push(Buffer.from(chunk.subarray(last + 1)));
      carryBytes += chunk.length - last - 1;
      if (carryBytes > maxLineBytes) throw tooLong(lineNo);
    }
  }
  if (carryBytes > 0) yield* block(Buffer.concat(carry));
}

function formatBytes(n: number): string {
  return n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

/** Text of a byte stream for the JSON parser, decoded strictly; a bad byte raises with its line. */
async function* decodedText(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = fatalDecoder();
  let carry: Buffer | undefined;
  let lines = 0;
  for await (const chunk of chunks) {
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const cut = completeUtf8Prefix(buf);
    const whole = buf.subarray(0, cut);
    try {
      yield decoder.decode(whole);
    } catch {
      const at = Math.max(0, invalidUtf8Offset(whole));
      let line = lines + 1;
      let lineStart = 0;
      for (let i = whole.indexOf(0x0a); i >= 0 && i < at; i = whole.indexOf(0x0a, i + 1)) {
        line++;
        lineStart = i + 1;
      }
      throw new SourceFault(
        `invalid UTF-8 at line ${line}, byte ${at - lineStart + 1} of the line (0x${whole[at].toString(16).padStart(2, '0')}); ` +
          're-encode the file as UTF-8 (the rest of this JSON array cannot be read)',
        line,
      );
    }
    for (let i = whole.indexOf(0x0a); i >= 0; i = whole.indexOf(0x0a, i + 1)) lines++;
    carry = cut < buf.length ? Buffer.from(buf.subarray(cut)) : undefined;
  }
  if (carry && carry.length > 0) throw new SourceFault(`invalid UTF-8 at the end of the file (line ${lines + 1}): a character is cut off`, lines + 1);
}

function jsonHint(text: string, error: unknown): string {
  const msg = (error as Error).message;
  if (/(^|[^"\w])(NaN|-?Infinity)([^"\w]|$)/.test(text)) {
    return `invalid JSON: ${msg} (NaN and Infinity are not JSON numbers; a non-finite score cannot be stored)`;
  }
  return `invalid JSON: ${msg}`;
}

async function* jsonlRecords(file: string, chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<RawRecord> {
  for await (const l of decodedLines(chunks, maxLineBytes)) {
    const loc = { file, line: l.line };
    if (l.utf8Error !== undefined) {
      yield { kind: 'bad', loc, message: l.utf8Error };
      continue;
    }
    const text = l.text!;
    if (text.trim() === '') continue;
    try {
      yield { kind: 'value', value: JSON.parse(text), loc };
    } catch (e) {
      yield { kind: 'bad', loc, message: jsonHint(text, e) };
    }
  }
}

async function* textRecords(file: string, chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<RawRecord> {
  for await (const l of decodedLines(chunks, maxLineBytes)) {
    const loc = { file, line: l.line };
    if (l.utf8Error !== undefined) yield { kind: 'bad', loc, message: l.utf8Error };
    else if (l.text!.trim() !== '') yield { kind: 'value', value: l.text!, loc };
  }
}

type Parsed = { key: number; value: unknown };
const parserFor = (kind: 'array' | 'values') => (kind === 'array' ? streamArray.withParser() : streamValues.withParser({ jsonStreaming: true }));

/**
 * Where a JSON syntax error is: the file parsed again line by line (only after an error), counting
 * items, so the error names its line and the last good item. stream-json's parser emits a whole
 * chunk's tokens at once, so the first pass cannot tell how far it got inside the chunk.
 */
async function locateJsonError(chunks: AsyncIterable<Buffer>, kind: 'array' | 'values'): Promise<{ line: number; last: number } | undefined> {
  const pipe = parserFor(kind);
  let line = 1;
  let last = -1;
  try {
    for await (const text of decodedText(chunks)) {
      let start = 0;
      while (start < text.length) {
        const nl = text.indexOf('\n', start);
        const end = nl < 0 ? text.length : nl + 1;
        for await (const item of pipe(text.slice(start, end)) as AsyncIterable<Parsed>) last = item.key;
        if (nl >= 0) line++;
        start = end;
      }
    }
    for await (const item of pipe(END_OF_INPUT as unknown as string) as AsyncIterable<Parsed>) last = item.key;
  } catch {
    return { line, last };
  }
  return undefined;
}

/** Elements of a top-level JSON array, or the values of a pretty-printed document, via stream-json. */
async function* jsonRecords(file: string, chunks: AsyncIterable<Buffer>, kind: 'array' | 'values', reopen: () => AsyncIterable<Buffer>): AsyncGenerator<RawRecord> {
  // The parser as a function pipeline fed chunk by chunk (no stream in between).
  const pipe = parserFor(kind);
  async function* items(): AsyncGenerator<Parsed> {
    for await (const text of decodedText(chunks)) yield* pipe(text) as AsyncIterable<Parsed>;
    yield* pipe(END_OF_INPUT as unknown as string) as AsyncIterable<Parsed>;
  }
  let last = -1;
  try {
    for await (const item of items()) {
      last = item.key;
      yield { kind: 'value', value: item.value, loc: kind === 'array' ? { file, arrayIndex: item.key } : { file } };
    }
  } catch (e) {
    const io = e instanceof SourceFault || (e as NodeJS.ErrnoException)?.code?.startsWith?.('Z_');
    if (io) {
      const line = e instanceof SourceFault ? e.line : undefined;
      yield { kind: 'fatal', loc: line !== undefined ? { file, line } : { file, arrayIndex: kind === 'array' ? last + 1 : undefined }, message: ioMessage(e) };
      return;
    }
    let at: { line: number; last: number } | undefined;
    try {
      at = await locateJsonError(reopen(), kind);
    } catch {
      at = undefined;
    }
    const good = at ? at.last : last;
    const where = kind === 'array' ? (good < 0 ? 'before the first item' : `after item [${good}]`) : '';
    const lineText = at ? ` at line ${at.line}` : '';
    yield {
      kind: 'fatal',
      loc: kind === 'array' ? { file, arrayIndex: good + 1 } : at ? { file, line: at.line } : { file },
      message: `invalid JSON${lineText}${where ? ` ${where}` : ''}: ${(e as Error).message}`,
    };
  }
}

/**
 * Open a data file and stream its raw records. Compression and container are found from the
 * content (gzip magic bytes; first non-space character `[` → JSON array, `{` → JSONL or one JSON
 * object, anything else → text lines), never from the name. `container` overrides the guess.
 */
export async function openSource(
  file: string,
  options: { container?: Container; maxLineBytes?: number } = {},
): Promise<{ info: SourceInfo; records: AsyncGenerator<RawRecord> } | { error: string }> {
  const name = file;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let gzip: boolean;
  try {
    const stat = await fs.promises.stat(file);
    if (stat.isDirectory()) return { error: 'is a directory, not a file' };
    gzip = await isGzipFile(file);
  } catch (e) {
    return { error: ioMessage(e) };
  }
  let sniffed: Awaited<ReturnType<typeof sniff>>;
  try {
    sniffed = await sniff(byteChunks(file, gzip));
  } catch (e) {
    return { error: ioMessage(e) };
  }
  const { first, head, rest } = sniffed;
  const wide = wideEncoding(head);
  if (wide) {
    await rest.return(undefined);
    return {
      error: `is ${wide} encoded, not UTF-8: apogee reads UTF-8 text. Re-encode it, e.g. \`iconv -f ${wide.split(' ')[0]} -t UTF-8 FILE > FILE.utf8\``,
    };
  }
  let container: Container = options.container ?? (first === 0x5b ? 'json' : first === 0x7b ? 'jsonl' : 'text');
  const info: SourceInfo = { gzip, container };
  if (first === undefined) {
    return { info, records: (async function* () {})() };
  }
  const chunks = concat(head, rest);
  // `{` on a line of its own: a pretty-printed single JSON document, not JSONL.
  let prettyObject = false;
  if (container === 'jsonl' && options.container === undefined) {
    const joined = Buffer.concat(head);
    const start = joined.findIndex((b) => b === 0x7b);
    const nl = joined.indexOf(0x0a, start);
    const firstLine = joined.subarray(start, nl < 0 ? joined.length : nl).toString('utf8').trim();
    if (firstLine === '{') {
      prettyObject = true;
      container = 'json';
      info.container = 'json';
    }
  }
  async function* guarded(): AsyncGenerator<RawRecord> {
    let lastLine = 0;
    try {
      if (container === 'json') yield* jsonRecords(name, chunks, prettyObject || first === 0x7b ? 'values' : 'array', () => byteChunks(file, gzip));
      else {
        for await (const r of container === 'jsonl' ? jsonlRecords(name, chunks, maxLineBytes) : textRecords(name, chunks, maxLineBytes)) {
          if (r.loc.line !== undefined) lastLine = r.loc.line;
          yield r;
        }
      }
    } catch (e) {
      const line = e instanceof SourceFault && e.line !== undefined ? e.line : lastLine > 0 ? lastLine + 1 : undefined;
      yield { kind: 'fatal', loc: { file: name, line }, message: ioMessage(e) };
    }
  }
  return { info, records: guarded() };
}

/** A short, stable file name for messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
