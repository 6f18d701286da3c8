import { createHash } from 'node:crypto';
import type { TaskRef } from './contract';

/**
 * A job's id: `<label>-<sha256(task, input)>` (first 32 hex digits). The same work gets the same
 * id on every run and machine, which is what makes results idempotent: a queue that already holds
 * a finished job of that id hands back its result instead of running it again.
 */
export function jobIdOf(task: TaskRef, input: unknown, label = 'job'): string {
  const h = createHash('sha256').update(`${task.module}#${task.name}\0`).update(JSON.stringify(input) ?? 'undefined').digest('hex');
  return `${label.replace(/[^A-Za-z0-9_.-]/g, '_')}-${h.slice(0, 32)}`;
}
