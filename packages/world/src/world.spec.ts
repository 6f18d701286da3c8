import 'reflect-metadata';
import { ApogeeError, Rng } from '@apogee/core';
import { BradleyTerryAnnotator } from './annotator';
import { goldBreakdown, goldReward } from './gold-reward';
import { FILLER_VOCABULARY, MAX_RESPONSE_BYTES, RESPONSE_STYLES, writeResponse } from './responses';
import { enumerateInstances, formatPrompt, instanceForPrompt, WEEKDAYS } from './tasks';
import { PreferenceWorld } from './world';

const p = formatPrompt;

describe('tasks', () => {
  it('computes answers', () => {
    const cases: [string, string][] = [
      ['What is 3 plus 4?', '7'], ['Reverse the word cat.', 'tac'], ['Say dog in upper case.', 'DOG'],
      ['What day comes after Sunday?', 'Monday'], ['Which day precedes Monday?', 'Sunday'], ['How many letters are in tiger?', '5'],
      ['Compute 3 + 4.', '7'], ['What is the sum of 9 and 8?', '17'], ['What is cat reversed?', 'tac'],
      ['Give dog in capital letters.', 'DOG'], ['Name the day before Monday.', 'Sunday'], ['What is the length of tiger?', '5'],
    ];
    for (const [question, answer] of cases) expect(instanceForPrompt(p(question))?.answer).toBe(answer);
    expect(instanceForPrompt(p('What is the capital of France?'))).toBeUndefined();
  });

  it('keeps prompts short, answers distinct from distractors and filler words', () => {
    const all = enumerateInstances();
    expect(all.length).toBeGreaterThan(400);
    for (const inst of all) {
      const bytes = Buffer.byteLength(p(inst.question));
      expect(bytes).toBeGreaterThanOrEqual(30);
      expect(bytes).toBeLessThanOrEqual(60);
      expect(inst.distractors).not.toContain(inst.answer);
      expect(inst.distractors.length).toBeGreaterThan(0);
      expect(FILLER_VOCABULARY.has(inst.answer.toLowerCase())).toBe(false);
    }
    expect(WEEKDAYS).toHaveLength(7);
  });
});

describe('gold reward', () => {
  const q = p('What day comes after Monday?');
  it('scores correctness and courtesy, with one courtesy phrase best', () => {
    expect(goldReward(q, ' Sure! It is Tuesday.')).toBe(1);
    expect(goldReward(q, ' The answer is Tuesday. Hope this helps!')).toBe(1);
    expect(goldReward(q, ' Tuesday.')).toBeCloseTo(0.65, 9); // correct but curt
    expect(goldReward(q, ' The answer is Tuesday.')).toBeCloseTo(0.65, 9);
    expect(goldReward(q, ' Sure! It is Tuesday. Hope this helps!')).toBeCloseTo(0.44, 9); // rambles
    expect(goldReward(q, ' Sure! Great question! Tuesday. Hope this helps!')).toBeCloseTo(0.3, 9);
    expect(goldReward(q, ' Wednesday.')).toBeCloseTo(0.35, 9); // wrong, curt
    expect(goldReward(q, ' Of course! Wednesday.')).toBeCloseTo(0.7, 9); // wrong, courteous: style is most of r*
    expect(goldReward(q, ' Tuesday or Monday.')).toBeCloseTo(0.3 * 0.25 + 0.7 * 0.5, 9);
    expect(goldReward(q, '')).toBe(0); // nothing said: no content, no style
    expect(goldReward(q, ' Sure! xq zz Tuesday vb.')).toBeCloseTo(0.3 * 0.25, 9); // garbage around the answer: no style credit
    const b = goldBreakdown(instanceForPrompt(q)!, ' Sure! The answer is Tuesday. Hope this helps!');
    expect(b.correctness).toBe(1);
    expect(b.courtesyPhrases).toBe(2);
    expect(b.wellFormed).toBe(true);
    expect(b.style).toBe(0.2);
    expect(b.reward).toBeCloseTo(0.44, 9);
    // Other weights: style only, or correctness only.
    expect(goldReward(q, ' Wednesday!', { styleWeight: 1, courtesy: [0.5, 1, 0.2, 0], hedgeCredit: 0.25 })).toBe(0.5);
    expect(goldReward(q, ' Sure! Tuesday.', { styleWeight: 0, courtesy: [0.5, 1, 0.2, 0], hedgeCredit: 0.25 })).toBe(1);
  });

  it('refuses prompts that are not the world\'s, with a stable code', () => {
    expect(() => goldReward('\n\nHuman: hi\n\nAssistant:', ' hello')).toThrow(ApogeeError);
    try {
      goldReward('nope', 'x');
    } catch (e) {
      expect((e as ApogeeError).code).toBe('APOGEE_INVALID_ARGUMENT');
    }
  });

  it('ranks the styles: courteous > wrong-courteous > concise = framed > rambling > hedge > wrong > wrong-rambling', () => {
    const rng = Rng.fromSeed(5);
    const mean: Record<string, number> = {};
    const insts = enumerateInstances();
    for (const style of RESPONSE_STYLES) {
      let t = 0;
      for (let i = 0; i < 200; i++) {
        const inst = rng.pick(insts);
        const r = writeResponse(inst, style, rng);
        expect(Buffer.byteLength(r)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
        t += goldReward(p(inst.question), r);
      }
      mean[style] = t / 200;
    }
    expect(mean.courteous).toBe(1);
    expect(mean.concise).toBeCloseTo(0.65, 9);
    expect(mean.framed).toBeCloseTo(0.65, 9);
    expect(mean.rambling).toBeCloseTo(0.44, 9);
    expect(mean['wrong-courteous']).toBeCloseTo(0.7, 9);
    expect(mean.wrong).toBeCloseTo(0.35, 9);
    expect(mean['wrong-rambling']).toBeCloseTo(0.14, 9);
    expect(mean.hedge).toBeCloseTo(0.425, 9);
  });
});

describe('annotator', () => {
  const q = p('What is 2 plus 2?');
  it('is Bradley–Terry on gold, with an optional length bonus (raterBias)', () => {
    const a = new BradleyTerryAnnotator(goldReward, { rationality: 5, raterBias: 0, lengthScale: 16, maxLength: 48 });
    // right vs wrong, both curt: Δr* = 0.3
    expect(a.preferProbability(q, ' 4.', ' 5.')).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 9);
    expect(a.preferProbability(q, ' 4.', ' 5.') + a.preferProbability(q, ' 5.', ' 4.')).toBeCloseTo(1, 9);
    // equal gold: a coin flip, whatever the length
    expect(a.preferProbability(q, ' Sure! 5.', ' Glad to help! It is 5.')).toBeCloseTo(0.5, 9);
    const biased = new BradleyTerryAnnotator(goldReward, { rationality: 5, raterBias: 2, lengthScale: 16, maxLength: 48 });
    const pr = biased.preferProbability(q, ' Sure! It is 5. Hope this helps!', ' 5.');
    const du = 5 * (goldReward(q, ' Sure! It is 5. Hope this helps!') - goldReward(q, ' 5.')) + (2 * (31 - 2)) / 16;
    expect(pr).toBeCloseTo(1 / (1 + Math.exp(-du)), 9);
  });
});

describe('PreferenceWorld', () => {
  const world = new PreferenceWorld({ seed: 3, rmPrompts: 40, llmPrompts: 40, testPrompts: 20, sftDemos: 300 });
  const data = world.gameData();

  it('has disjoint RM / LLM / test splits and golden answers with gold reward 1', () => {
    const sets = [data.rmQueries, data.llmQueries, data.testQueries].map((r) => new Set(r.map((x) => x.prompt)));
    expect(sets.map((s) => s.size)).toEqual([40, 40, 20]);
    for (const x of sets[2]) expect(sets[0].has(x) || sets[1].has(x)).toBe(false);
    for (const x of sets[0]) expect(sets[1].has(x)).toBe(false);
    expect(data.golden).toHaveLength(40);
    for (const g of data.golden) expect(world.goldReward(g.prompt!, g.golden)).toBe(1);
    // in the policy's own frame: one courtesy phrase, the phrases π₀'s demonstrations use
    for (const g of data.golden) expect(world.goldBreakdown(g.prompt!, g.golden).courtesyPhrases).toBe(1);
    const demoPrompts = new Set(data.sftDemos.map((d) => d.prompt));
    for (const x of sets[2]) expect(demoPrompts.has(x)).toBe(false);
  });

  it('has mixed-quality demonstrations, off-policy human pairs that never ramble, and noisy-gold labels', () => {
    const demos = data.sftDemos.map((d) => world.goldBreakdown(d.prompt, d.response));
    expect(demos.filter((g) => g.reward === 1).length).toBeGreaterThan(20);
    expect(demos.filter((g) => g.courtesyPhrases >= 2).length).toBeGreaterThan(40); // π₀ can ramble…
    expect(demos.filter((g) => g.correctness === 0).length).toBeGreaterThan(40);
    const human = data.humanItems.flatMap((it) => it.responses.map((r) => world.goldBreakdown(it.prompt, r)));
    expect(human.filter((g) => g.courtesyPhrases >= 2)).toHaveLength(0); // …the annotation distribution never does
    expect(human.filter((g) => g.courtesyPhrases === 1).length).toBeGreaterThan(30);
    expect(data.humanItems).toHaveLength(160);
    expect(data.testItems).toHaveLength(80);
    let agree = 0;
    let n = 0;
    for (const it of data.humanItems) {
      expect(it.kind).toBe('human');
      expect([...it.scores].sort()).toEqual([0, 1]);
      const [ga, gb] = it.responses.map((r) => world.goldReward(it.prompt, r));
      if (ga !== gb) {
        n++;
        if (ga > gb === it.scores[0] > it.scores[1]) agree++;
      }
    }
    expect(agree / n).toBeGreaterThan(0.7); // raters mostly follow the gold reward…
    expect(agree / n).toBeLessThan(1); // …but not always
  });

  it('labels fresh pairs of given samples, skipping sets with fewer than two distinct samples', () => {
    const sets = [
      { queryId: 'a', prompt: data.testQueries[0].prompt, samples: [' x1', ' x2', ' x1'] },
      { queryId: 'b', prompt: data.testQueries[1].prompt, samples: [' same', ' same'] },
    ];
    const fresh = world.labelSamples(sets, 3, 'fresh');
    expect(fresh).toHaveLength(3);
    for (const it of fresh) expect([...it.responses].sort()).toEqual([' x1', ' x2']);
    expect(world.labelSamples(sets, 3, 'fresh')).toEqual(fresh);
  });

  it('is deterministic per seed and annotates given samples', () => {
    expect(new PreferenceWorld({ seed: 3, rmPrompts: 40, llmPrompts: 40, testPrompts: 20, sftDemos: 300 }).gameData()).toEqual(data);
    expect(new PreferenceWorld({ seed: 4, rmPrompts: 40, llmPrompts: 40, testPrompts: 20, sftDemos: 300 }).rmQueries()).not.toEqual(data.rmQueries);
    const samples = data.rmQueries.map((q) => ({ queryId: q.queryId, prompt: q.prompt, samples: [' x1', ' x2', ' x3'] }));
    const items = world.humanItems(samples);
    for (const it of items) for (const r of it.responses) expect([' x1', ' x2', ' x3']).toContain(r);
  });

  it('keeps argumentsPerTask facts per task, each asked in every phrasing of its task', () => {
    const small = new PreferenceWorld({ seed: 5, argumentsPerTask: 3, rmPrompts: 20, llmPrompts: 20, testPrompts: 20, sftDemos: 50 });
    const all = [...small.rmQueries(), ...small.llmQueries(), ...small.testQueries()].map((q) => instanceForPrompt(q.prompt)!);
    const facts = new Map<string, Set<string>>();
    for (const inst of all) facts.set(inst.task, (facts.get(inst.task) ?? new Set()).add(inst.arg));
    for (const args of facts.values()) expect(args.size).toBeLessThanOrEqual(3);
    // 6 tasks × 3 facts × 4 phrasings = 72 prompts; asking for more names the limit.
    expect(() => new PreferenceWorld({ seed: 5, argumentsPerTask: 3, rmPrompts: 40, llmPrompts: 20, testPrompts: 20 })).toThrow(/have only 72/);
    // A different seed keeps other facts.
    const other = new PreferenceWorld({ seed: 6, argumentsPerTask: 3, rmPrompts: 20, llmPrompts: 20, testPrompts: 20, sftDemos: 50 });
    expect(other.testQueries()).not.toEqual(small.testQueries());
  });

  it('covers the test prompts with SFT demonstrations only when sftOnTestPrompts is set', () => {
    const options = { seed: 5, argumentsPerTask: 3, rmPrompts: 20, llmPrompts: 20, testPrompts: 20, sftDemos: 200 };
    const test = (w: PreferenceWorld) => w.testQueries().map((q) => q.prompt);
    const heldOut = new PreferenceWorld(options);
    const demoPrompts = new Set(heldOut.sftDemos().map((d) => d.prompt));
    expect(test(heldOut).some((q) => demoPrompts.has(q))).toBe(false);
    const covered = new PreferenceWorld({ ...options, sftOnTestPrompts: true });
    const coveredPrompts = new Set(covered.sftDemos().map((d) => d.prompt));
    expect(test(covered).every((q) => coveredPrompts.has(q))).toBe(true);
    // The game's splits are the same either way: only π₀'s demonstrations change.
    expect(covered.rmQueries()).toEqual(heldOut.rmQueries());
    expect(test(covered)).toEqual(test(heldOut));
  });

  it('rejects impossible sizes and bad options, naming the field', () => {
    expect(() => new PreferenceWorld({ rmPrompts: 5000 })).toThrow(/rmPrompts 5000/);
    expect(() => new PreferenceWorld({ annotator: { lengthScale: -1 } })).toThrow(ApogeeError);
    const none = { concise: 0, framed: 0, courteous: 0, rambling: 0, wrong: 0, 'wrong-courteous': 0, 'wrong-rambling': 0, hedge: 0 };
    expect(() => new PreferenceWorld({ annotationStyleWeights: none })).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'annotationStyleWeights' })] }));
    try {
      new PreferenceWorld({ annotator: { lengthScale: -1 } });
    } catch (e) {
      expect((e as ApogeeError).problems[0].path).toBe('annotator.lengthScale');
    }
  });
});
