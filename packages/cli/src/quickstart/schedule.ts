import { ApogeeError, ERROR_CODES } from '@apogee/core';

/**
 * Runs at most `size` tasks at a time; when a slot frees, the waiting task of highest priority
 * starts (ties: the one submitted first). The quickstart gives each unit the estimated length of
 * the longest chain of work it starts (its own cost plus what waits on it), so a pool starts the
 * long chains first and ends with the short units, the classic list-scheduling rule. Tasks
 * submitted in the same turn of the event loop are all weighed before the first starts. Order
 * changes only when things run, never their results (each unit draws from its own streams).
 *
 * Written here rather than taken from a library: p-limit has no priorities, and p-queue, which
 * has, ships ESM only since version 7 while this package is CommonJS; the rule is thirty lines.
 */
export class PrioritySlots {
  private running = 0;
  private seq = 0;
  private pumping = false;
  private closed?: Error;
  private readonly waiting: Array<{ priority: number; seq: number; start: () => void; fail: (e: unknown) => void }> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `PrioritySlots: size must be a whole number ≥ 1, got ${size}.`);
  }

  /** Run `task` when a slot is free and no waiting task has a higher priority; settles as it does. */
  run<T>(priority: number, task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running += 1;
        let p: Promise<T>;
        try {
          p = task();
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(resolve, reject).finally(() => {
          this.running -= 1;
          this.pump();
        });
      };
      this.waiting.push({ priority, seq: this.seq++, start, fail: reject });
      this.pump();
    });
  }

  /** Tasks started and not yet settled. */
  get active(): number {
    return this.running;
  }

  /** Refuse new tasks and fail every waiting one with `reason` (running ones go on). */
  close(reason: Error): void {
    this.closed = reason;
    for (const w of this.waiting.splice(0)) w.fail(reason);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    // After the current turn: every task submitted in it (and in the promise reactions of a task
    // that just ended) is weighed before the next one starts.
    setImmediate(() => {
      this.pumping = false;
      while (!this.closed && this.running < this.size && this.waiting.length > 0) {
        let best = 0;
        for (let i = 1; i < this.waiting.length; i++) {
          const w = this.waiting[i];
          const b = this.waiting[best];
          if (w.priority > b.priority || (w.priority === b.priority && w.seq < b.seq)) best = i;
        }
        this.waiting.splice(best, 1)[0].start();
      }
    });
  }
}
