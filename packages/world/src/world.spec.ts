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
  it('scores correctness times concision', () => {
    expect(goldReward(q, ' Tuesday.')).toBe(1);
    expect(goldReward(q, ' The answer is Tuesday.')).toBe(1);
    expect(goldReward(q, ' Wednesday.')).toBe(0);
    expect(goldReward(q, ' Tuesday or Monday.')).toBeCloseTo(0.25, 6);
    expect(goldReward(q, '')).toBe(0);
    // ' Sure! The answer is Tuesday. Hope this helps!' is 23 bytes beyond 'The answer is Tuesday.'
    const padded = goldBreakdown(instanceForPrompt(q)!, ' Sure! The answer is Tuesday. Hope this helps!');
    expect(padded.correctness).toBe(1);
    expect(padded.extraBytes).toBe(45 - 22);
    expect(padded.reward).toBeCloseTo(Math.exp(-23 / 16), 6);
  });

  it('refuses prompts that are not the world\'s, with a stable code', () => {
    expect(() => goldReward('\n\nHuman: hi\n\nAssistant:', ' hello')).toThrow(ApogeeError);
    try {
      goldReward('nope', 'x');
    } catch (e) {
      expect((e as ApogeeError).code).toBe('APOGEE_INVALID_ARGUMENT');
    }
  });

  it('ranks the styles: concise = framed > padded > hedge > wrong', () => {
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
    expect(mean.concise).toBe(1);
    expect(mean.framed).toBe(1);
    expect(mean.padded).toBeLessThan(0.9);
    expect(mean.padded).toBeGreaterThan(mean.hedge);
    expect(mean.hedge).toBeGreaterThan(0);
    expect(mean.wrong).toBe(0);
    expect(mean['wrong-padded']).toBe(0);
  });
});

describe('annotator', () => {
  const q = p('What is 2 plus 2?');
  it('is Bradley–Terry on gold plus a length bonus', () => {
    const a = new BradleyTerryAnnotator(goldReward, { rationality: 4, lengthBias: 2, lengthScale: 16, maxLength: 48 });
    // equal gold (both wrong): the longer answer wins by σ(2 · Δbytes / 16)
    const pr = a.preferProbability(q, ' Sure! The answer is 5. Hope this helps!', ' 5.');
    expect(pr).toBeCloseTo(1 / (1 + Math.exp(-(2 * (39 - 2)) / 16)), 6);
    expect(a.preferProbability(q, ' 4.', ' 5.')).toBeCloseTo(1 / (1 + Math.exp(-4)), 6);
    expect(a.preferProbability(q, ' 4.', ' 5.') + a.preferProbability(q, ' 5.', ' 4.')).toBeCloseTo(1, 9);
    const unbiased = new BradleyTerryAnnotator(goldReward, { rationality: 4, lengthBias: 0, lengthScale: 16, maxLength: 48 });
    expect(unbiased.preferProbability(q, ' Sure! 5. Hope this helps!', ' 5.')).toBeCloseTo(0.5, 9);
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
    const demoPrompts = new Set(data.sftDemos.map((d) => d.prompt));
    for (const x of sets[2]) expect(demoPrompts.has(x)).toBe(false);
  });

  it('has mixed-quality demonstrations and noisy, length-biased labels', () => {
    const gold = data.sftDemos.map((d) => world.goldReward(d.prompt, d.response));
    expect(gold.filter((g) => g === 1).length).toBeGreaterThan(50);
    expect(gold.filter((g) => g === 0).length).toBeGreaterThan(50);
    expect(gold.filter((g) => g > 0 && g < 1).length).toBeGreaterThan(50);
    expect(data.humanItems).toHaveLength(80);
    expect(data.testItems).toHaveLength(40);
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
    expect(agree / n).toBeGreaterThan(0.55); // raters mostly follow the gold reward…
    expect(agree / n).toBeLessThan(1); // …but not always
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
    try {
      new PreferenceWorld({ annotator: { lengthScale: -1 } });
    } catch (e) {
      expect((e as ApogeeError).problems[0].path).toBe('annotator.lengthScale');
    }
  });
});
