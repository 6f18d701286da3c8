import { PrioritySlots } from './schedule';

/** A task that runs until released, recording when it starts. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { task: async () => (log.push(name), await done, name), release };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('PrioritySlots', () => {
  it('runs at most `size` tasks at once, highest priority first, ties in submission order', async () => {
    const slots = new PrioritySlots(2);
    const log: string[] = [];
    const g = { a: gate(log, 'a'), b: gate(log, 'b'), c: gate(log, 'c'), d: gate(log, 'd'), e: gate(log, 'e') };
    const results = [slots.run(1, g.a.task), slots.run(5, g.b.task), slots.run(3, g.c.task), slots.run(3, g.d.task), slots.run(9, g.e.task)];
    await turn();
    // Submitted in one turn: all weighed before any starts.
    expect(log).toEqual(['e', 'b']);
    expect(slots.active).toBe(2);
    g.b.release();
    await turn();
    await turn();
    expect(log).toEqual(['e', 'b', 'c']); // c and d tie at 3: the first submitted
    g.e.release();
    await turn();
    await turn();
    expect(log).toEqual(['e', 'b', 'c', 'd']);
    g.c.release();
    g.d.release();
    await turn();
    await turn();
    expect(log).toEqual(['e', 'b', 'c', 'd', 'a']);
    g.a.release();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(slots.active).toBe(0);
  });

  it('weighs a task submitted when another ends against those already waiting', async () => {
    const slots = new PrioritySlots(1);
    const log: string[] = [];
    const first = gate(log, 'first');
    const low = gate(log, 'low');
    const urgent = gate(log, 'urgent');
    const all = [
      // When `first` ends, its follow-up (priority 10) is submitted and overtakes `low` (priority 1).
      slots.run(5, first.task).then(() => slots.run(10, urgent.task)),
      slots.run(1, low.task),
    ];
    await turn();
    first.release();
    await turn();
    await turn();
    expect(log).toEqual(['first', 'urgent']);
    urgent.release();
    low.release();
    await Promise.all(all);
    expect(log).toEqual(['first', 'urgent', 'low']);
  });

  it('passes failures through and keeps going; close() fails waiting and later tasks', async () => {
    const slots = new PrioritySlots(1);
    const log: string[] = [];
    const boom = slots.run(2, async () => {
      throw new Error('boom');
    });
    const held = gate(log, 'held');
    const running = slots.run(1, held.task);
    const waiting = slots.run(0, async () => 'never');
    await expect(boom).rejects.toThrow('boom');
    await turn();
    expect(log).toEqual(['held']);
    slots.close(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
    await expect(slots.run(5, async () => 'late')).rejects.toThrow('closed');
    held.release();
    await expect(running).resolves.toBe('held'); // a running task is not cut short
  });

  it('refuses a size that is not a whole number ≥ 1', () => {
    expect(() => new PrioritySlots(0)).toThrow(/whole number/);
    expect(() => new PrioritySlots(1.5)).toThrow(/whole number/);
  });
});
