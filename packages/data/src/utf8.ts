import { TextDecoder } from 'node:util';

/**
 * UTF-8 checks. Decoding uses the platform's `TextDecoder('utf-8', { fatal: true })`; this scanner
 * only runs after a decode failed, to say *where* (line and column) the bad byte is, which the
 * decoder does not report.
 */

/** A decoder that throws on malformed input instead of inserting U+FFFD. */
export function fatalDecoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
}

/**
 * Offset of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or -1 when every byte is fine. A sequence cut off by the
 * end of `bytes` counts as invalid only when `final` is true.
 */
export function invalidUtf8Offset(bytes: Uint8Array, final = true): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return final ? i : -1;
      const b = bytes[i + k];
      if (k === 1 ? b < lo || b > hi : b < 0x80 || b > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Length of the longest prefix of `bytes` that does not end inside a multi-byte character. */
export function completeUtf8Prefix(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const c = bytes[n - back];
    if ((c & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return len > back ? n - back : n;
  }
  return n;
}
