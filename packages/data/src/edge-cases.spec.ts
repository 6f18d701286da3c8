import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';
import { invalidUtf8Offset, readAnyPreferenceFile, readPrompts, splitDialogues } from './index';
import { completeUtf8Prefix } from './utf8';

const H = '\n\nHuman: ';
const A = '\n\nAssistant:';
let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('apogee-edge-')));
afterEach(() => tmp.cleanup());
const write = (name: string, data: string | Buffer) => {
  const f = path.join(tmp.dir, name);
  fs.writeFileSync(f, data);
  return f;
};

it('CRLF line endings and a UTF-8 byte-order mark are accepted', async () => {
  const rec = JSON.stringify({ chosen: `${H}x${A} yes`, rejected: `${H}x${A} no` });
  const f = write('crlf', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${rec}\r\n${rec}\r\n`)]));
  const { items, report } = await readAnyPreferenceFile(f);
  expect(report.files[0]).toMatchObject({ format: 'hh', container: 'jsonl', read: 2 });
  expect(items[1]).toEqual({ prompt: `${H}x${A}`, responses: [' yes', ' no'], scores: [1, 0] });
});

it('TRL implicit-prompt pairs (chosen/rejected message lists, no prompt) are read as HH', async () => {
  const conv = (answer: string) => [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: answer },
  ];
  const f = write('implicit.jsonl', `${JSON.stringify({ chosen: conv('Hello!'), rejected: conv('Go away.') })}\n`);
  const { items, formats } = await readAnyPreferenceFile(f);
  expect(formats).toEqual(['hh']);
  expect(items).toEqual([{ prompt: `${H}Hi${A}`, responses: [' Hello!', ' Go away.'], scores: [1, 0] }]);
  const bad = write('bad-role.jsonl', `${JSON.stringify({ chosen: [{ role: 'robot', content: 'x' }], rejected: conv('y') })}\n`);
  await expect(readAnyPreferenceFile(bad)).rejects.toMatchObject({ problems: [{ path: expect.stringMatching(/bad-role\.jsonl:1 chosen\[0\]\.role$/), message: expect.stringMatching(/must be one of "user", "assistant", "system"/) }] });
});

it('a JSON array whose multi-byte characters straddle read chunks (1 MiB) decodes exactly', async () => {
  // 1.2 MB of three-byte characters after a 42-byte prefix: the 1 MiB boundary falls inside one.
  const text = '’'.repeat(400_000);
  const f = write('big.json', JSON.stringify([{ text: [`${H}q${A}<sep>${text}`, `${H}q${A}<sep> b`], scores: [1, 0] }]));
  const { items } = await readAnyPreferenceFile(f);
  expect(items[0].responses[0]).toBe(text);
});

it('prompt lines that already hold a dialogue are not wrapped again', async () => {
  const f = write('p.txt', 'Plain question?\nHuman: hi Assistant: hello Human: more? Assistant:\n');
  const { records } = await readPrompts(f);
  expect(records.map((r) => r.prompt)).toEqual([`${H}Plain question?${A}`, 'Human: hi Assistant: hello Human: more? Assistant:']);
});

describe('UTF-8 scanner (used to locate a bad byte)', () => {
  it('finds the first invalid byte, rejecting overlongs, surrogates and values above U+10FFFF', () => {
    const b = (...x: number[]) => Uint8Array.from(x);
    expect(invalidUtf8Offset(Buffer.from('plain ’ text 😀'))).toBe(-1);
    expect(invalidUtf8Offset(b(0x61, 0xff))).toBe(1);
    expect(invalidUtf8Offset(b(0x61, 0xc0, 0xaf))).toBe(1); // overlong '/'
    expect(invalidUtf8Offset(b(0xe0, 0x80, 0xaf))).toBe(0); // overlong
    expect(invalidUtf8Offset(b(0xed, 0xa0, 0x80))).toBe(0); // UTF-16 surrogate
    expect(invalidUtf8Offset(b(0xf4, 0x90, 0x80, 0x80))).toBe(0); // > U+10FFFF
    expect(invalidUtf8Offset(b(0x61, 0xe2, 0x80))).toBe(1); // cut off at the end
    expect(invalidUtf8Offset(b(0x61, 0xe2, 0x80), false)).toBe(-1); // …unless more may follow
    expect(completeUtf8Prefix(b(0x61, 0xe2, 0x80))).toBe(1);
    expect(completeUtf8Prefix(Buffer.from('a’'))).toBe(4);
  });
});

it('splitDialogues with more than two dialogues', () => {
  const s = splitDialogues([`${H}q${A} a`, `${H}q${A} b`, `${H}q${A} c`]);
  expect(s).toEqual({ ok: true, prompt: `${H}q${A}`, responses: [' a', ' b', ' c'], diverged: false });
  expect(splitDialogues([`${H}q${A} a`, `${H}other${A} b`])).toMatchObject({ ok: false });
});
