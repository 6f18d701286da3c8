// Dev probe (issue #13): share of correct answers and of 0/1/2+ courtesy phrases in a quickstart's held-out samples.
import * as fs from 'node:fs';
import { goldBreakdown, instanceForPrompt } from '@apogee/world';
const dir = process.argv[2];
const arms = fs.readdirSync(`${dir}/samples`).sort();
for (const arm of arms) {
  for (const f of fs.readdirSync(`${dir}/samples/${arm}`).sort()) {
    let n = 0, correct = 0, p0 = 0, p1 = 0, p2 = 0, bad = 0, gold = 0;
    for (const line of fs.readFileSync(`${dir}/samples/${arm}/${f}`, 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line);
      const inst = instanceForPrompt(r.prompt)!;
      for (const resp of r.responses as string[]) {
        const b = goldBreakdown(inst, resp);
        n++; correct += b.correctness; gold += b.reward;
        if (!b.wellFormed) bad++; else if (b.courtesyPhrases === 0) p0++; else if (b.courtesyPhrases === 1) p1++; else p2++;
      }
    }
    const pc = (x: number) => (x / n).toFixed(2);
    console.log(`${arm.padEnd(9)} ${f.padEnd(14)} gold ${pc(gold)} correct ${pc(correct)} none ${pc(p0)} one ${pc(p1)} two+ ${pc(p2)} malformed ${pc(bad)}`);
  }
}
