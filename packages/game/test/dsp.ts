import * as fs from 'node:fs';
import type { PreferenceItem } from '@apogee/core';

/**
 * The first `count` pairs of the shared DSP helpful test file (`{"text": [A, B], "score": [1, 0]}`)
 * as prompt + responses: the prompt is everything up to and including the last `\n\nAssistant:`.
 */
export function readDspItems(file: string, count: number): PreferenceItem[] {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ text: string[]; score: number[] }>;
  return raw.slice(0, count).map((r, i) => {
    const cut = r.text[0].lastIndexOf('\n\nAssistant:') + '\n\nAssistant:'.length;
    return {
      id: `dsp-${i}`,
      prompt: r.text[0].slice(0, cut),
      responses: r.text.map((t) => t.slice(cut)),
      scores: r.score,
      kind: 'human' as const,
    };
  });
}
