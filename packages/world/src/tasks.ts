/**
 * The world's task family: small questions whose correct answer the world computes. Each task
 * has a few phrasings (templates), a set of arguments, the answer, and plausible wrong answers
 * (distractors) used by the low-quality demonstrations.
 */

/** Names of the built-in tasks. */
export const TASK_NAMES = ['add', 'reverse', 'upper', 'next-day', 'prev-day', 'count'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** One concrete question: the task, its phrasing and the answer the world computes. */
export interface TaskInstance {
  task: TaskName;
  /** The argument the question is about (`3,4`, `cat`, `Monday`): one fact of the task, asked in several phrasings. */
  arg: string;
  /** The human turn's text, e.g. `What is 3 plus 4?`. */
  question: string;
  /** The correct answer, e.g. `7`. */
  answer: string;
  /** Wrong but plausible answers (never equal to `answer`). */
  distractors: string[];
}

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/**
 * Short common nouns used by the word tasks. Chosen so that no word, its reversal or its capitals
 * is a filler or frame word of the responses (a test checks this).
 */
export const WORDS = [
  'cat', 'dog', 'sun', 'tree', 'book', 'fish', 'bird', 'milk', 'rain', 'star', 'lamp', 'door',
  'cake', 'frog', 'ship', 'rose', 'wolf', 'sand', 'coin', 'desk', 'hill', 'kite', 'leaf', 'moon',
  'nest', 'pear', 'ring', 'sock', 'tent', 'vase', 'wind', 'yarn', 'bell', 'corn', 'duck', 'farm',
  'goat', 'harp', 'iron', 'jam', 'king', 'lion', 'mint', 'oak', 'pig', 'road', 'salt', 'tiger',
] as const;

const reverse = (w: string): string => [...w].reverse().join('');
const capitalise = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1);

interface TaskSpec {
  templates: readonly ((arg: string) => string)[];
  args: readonly string[];
  answer(arg: string): string;
  distractors(arg: string): string[];
}

function dayAt(index: number): string {
  return WEEKDAYS[((index % 7) + 7) % 7];
}

const DIGIT_PAIRS: string[] = [];
for (let a = 0; a <= 9; a++) for (let b = 0; b <= 9; b++) DIGIT_PAIRS.push(`${a},${b}`);
const split = (arg: string): [number, number] => {
  const [a, b] = arg.split(',').map(Number);
  return [a, b];
};

/** The task specifications. Answers are computed, never stored. */
const SPECS: Record<TaskName, TaskSpec> = {
  add: {
    templates: [
      (arg) => `What is ${split(arg)[0]} plus ${split(arg)[1]}?`,
      (arg) => `Add ${split(arg)[0]} and ${split(arg)[1]}.`,
      (arg) => `What is the sum of ${split(arg)[0]} and ${split(arg)[1]}?`,
      (arg) => `Compute ${split(arg)[0]} + ${split(arg)[1]}.`,
    ],
    args: DIGIT_PAIRS,
    answer: (arg) => String(split(arg)[0] + split(arg)[1]),
    distractors: (arg) => {
      const s = split(arg)[0] + split(arg)[1];
      return [String(s + 1), String(s > 0 ? s - 1 : s + 2), String(s + 2)];
    },
  },
  reverse: {
    templates: [(w) => `Reverse the word ${w}.`, (w) => `Spell ${w} backwards.`, (w) => `Write ${w} in reverse.`, (w) => `What is ${w} reversed?`],
    args: WORDS,
    answer: (w) => reverse(w),
    distractors: (w) => [w, reverse(w.slice(1)) + w.charAt(0), capitalise(reverse(w))],
  },
  upper: {
    templates: [(w) => `Write ${w} in capitals.`, (w) => `Say ${w} in upper case.`, (w) => `Give ${w} in capital letters.`, (w) => `What is ${w} in upper case?`],
    args: WORDS,
    answer: (w) => w.toUpperCase(),
    distractors: (w) => [w, capitalise(w), w.slice(0, -1).toUpperCase() + w.slice(-1)],
  },
  'next-day': {
    templates: [(d) => `What day comes after ${d}?`, (d) => `Which day follows ${d}?`, (d) => `What is the day after ${d}?`, (d) => `Name the day after ${d}.`],
    args: WEEKDAYS,
    answer: (d) => dayAt(WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]) + 1),
    distractors: (d) => {
      const i = WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]);
      return [d, dayAt(i - 1), dayAt(i + 2)];
    },
  },
  'prev-day': {
    templates: [(d) => `What day comes before ${d}?`, (d) => `Which day precedes ${d}?`, (d) => `What is the day before ${d}?`, (d) => `Name the day before ${d}.`],
    args: WEEKDAYS,
    answer: (d) => dayAt(WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]) - 1),
    distractors: (d) => {
      const i = WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]);
      return [d, dayAt(i + 1), dayAt(i - 2)];
    },
  },
  count: {
    templates: [(w) => `How many letters are in ${w}?`, (w) => `Count the letters in ${w}.`, (w) => `How long is the word ${w}?`, (w) => `What is the length of ${w}?`],
    args: WORDS,
    answer: (w) => String(w.length),
    distractors: (w) => [String(w.length + 1), String(w.length - 1), String(w.length + 2)],
  },
};

/** The arguments of a task (`3,4` for add, a word, a weekday), in a fixed order. */
export function taskArguments(task: TaskName): readonly string[] {
  return SPECS[task].args;
}

/**
 * Every instance of the given tasks (each template × each argument), in a fixed order. `args`
 * restricts a task to some of its arguments (the world's `argumentsPerTask`).
 */
export function enumerateInstances(tasks: readonly TaskName[] = TASK_NAMES, args?: Partial<Record<TaskName, readonly string[]>>): TaskInstance[] {
  const out: TaskInstance[] = [];
  for (const task of tasks) {
    const spec = SPECS[task];
    for (const arg of args?.[task] ?? spec.args) {
      const answer = spec.answer(arg);
      const distractors = [...new Set(spec.distractors(arg))].filter((d) => d !== answer && d.length > 0);
      for (const template of spec.templates) out.push({ task, arg, question: template(arg), answer, distractors });
    }
  }
  return out;
}

const ALL_BY_QUESTION = new Map<string, TaskInstance>(enumerateInstances().map((i) => [i.question, i]));

/** The HH dialogue shape: `\n\nHuman: <question>\n\nAssistant:`. */
export function formatPrompt(question: string): string {
  return `\n\nHuman: ${question}\n\nAssistant:`;
}

/**
 * The task instance a prompt asks about (its last human turn), or `undefined` when the prompt is
 * not one of the world's questions.
 */
export function instanceForPrompt(prompt: string): TaskInstance | undefined {
  const start = prompt.lastIndexOf('\n\nHuman: ');
  if (start < 0) return undefined;
  let question = prompt.slice(start + '\n\nHuman: '.length);
  const end = question.indexOf('\n\nAssistant:');
  if (end >= 0) question = question.slice(0, end);
  return ALL_BY_QUESTION.get(question.trim());
}
