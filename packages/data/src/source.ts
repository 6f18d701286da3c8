import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, pipeline } from 'node:stream';
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
async function* decodedLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Line> {
  const decoder = fatalDecoder();
  let carry: Buffer | undefined;
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
  for await (const chunk of chunks) {
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const cut = buf.lastIndexOf(0x0a);
    if (cut < 0) {
      carry = buf;
      continue;
    }
    yield* block(buf.subarray(0, cut + 1));
    carry = cut + 1 < buf.length ? Buffer.from(buf.subarray(cut + 1)) : undefined;
  }
  if (carry && carry.length > 0) yield* block(carry);
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

async function* jsonlRecords(file: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<RawRecord> {
  for await (const l of decodedLines(chunks)) {
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

async function* textRecords(file: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<RawRecord> {
  for await (const l of decodedLines(chunks)) {
    const loc = { file, line: l.line };
    if (l.utf8Error !== undefined) yield { kind: 'bad', loc, message: l.utf8Error };
    else if (l.text!.trim() !== '') yield { kind: 'value', value: l.text!, loc };
  }
}

/** Elements of a top-level JSON array, or the values of a pretty-printed document, via stream-json. */
async function* jsonRecords(file: string, chunks: AsyncIterable<Buffer>, kind: 'array' | 'values'): AsyncGenerator<RawRecord> {
  const parser = kind === 'array' ? streamArray.withParserAsStream() : streamValues.withParserAsStream({ jsonStreaming: true });
  const text = Readable.from(decodedText(chunks), { objectMode: false });
  pipeline(text, parser, () => undefined);
  let last = -1;
  try {
    for await (const item of parser as AsyncIterable<{ key: number; value: unknown }>) {
      last = item.key;
      yield { kind: 'value', value: item.value, loc: kind === 'array' ? { file, arrayIndex: item.key } : { file } };
    }
  } catch (e) {
    const where = kind === 'array' ? (last < 0 ? 'before the first item' : `after item [${last}]`) : '';
    const line = e instanceof SourceFault ? e.line : undefined;
    const message = e instanceof SourceFault || (e as NodeJS.ErrnoException)?.code?.startsWith?.('Z_') ? ioMessage(e) : `invalid JSON ${where}: ${(e as Error).message}`;
    yield { kind: 'fatal', loc: line !== undefined ? { file, line } : { file, arrayIndex: kind === 'array' ? last + 1 : undefined }, message };
  }
}

/**
 * Open a data file and stream its raw records. Compression and container are found from the
 * content (gzip magic bytes; first non-space character `[` → JSON array, `{` → JSONL or one JSON
 * object, anything else → text lines), never from the name. `container` overrides the guess.
 */
export async function openSource(
  file: string,
  options: { container?: Container } = {},
): Promise<{ info: SourceInfo; records: AsyncGenerator<RawRecord> } | { error: string }> {
  const name = file;
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
      if (container === 'json') yield* jsonRecords(name, chunks, prettyObject || first === 0x7b ? 'values' : 'array');
      else {
        for await (const r of container === 'jsonl' ? jsonlRecords(name, chunks) : textRecords(name, chunks)) {
          if (r.loc.line !== undefined) lastLine = r.loc.line;
          yield r;
        }
      }
    } catch (e) {
      yield { kind: 'fatal', loc: { file: name, line: lastLine > 0 ? lastLine + 1 : undefined }, message: ioMessage(e) };
    }
  }
  return { info, records: guarded() };
}

/** A short, stable file name for messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
