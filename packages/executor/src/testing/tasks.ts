// Tasks the executor's own tests run on every kind of executor (loaded by module path in workers).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, Rng, type RngState } from '@apogee/core';
import type { TaskContext } from '../contract';

/** `n` draws from the stream the coordinator derived for this shard: the same wherever it runs. */
export async function draw(input: { rng: RngState; n: number }): Promise<number[]> {
  const rng = Rng.fromState(input.rng);
  return Array.from({ length: input.n }, () => rng.nextUint32());
}

/**
 * Writes `<dir>/<value>.<pid>.<attempt>.started`, waits `ms`, returns who ran it. Tests watch
 * the marker files to kill a worker mid-job and to count executions.
 */
export async function slow(input: { dir: string; value: number; ms: number }, ctx: TaskContext): Promise<{ value: number; pid: number; attempt: number }> {
  fs.writeFileSync(path.join(input.dir, `${input.value}.${process.pid}.${ctx.attempt}.started`), '');
  await new Promise((r) => setTimeout(r, input.ms));
  return { value: input.value * 10, pid: process.pid, attempt: ctx.attempt };
}

/** Bad input: an apogee error, which is not retried. */
export async function reject(input: { dir: string }): Promise<never> {
  fs.appendFileSync(path.join(input.dir, 'reject.count'), 'x');
  throw new ApogeeError(ERROR_CODES.DATA_INVALID, 'shard 3 holds no prompts', { hint: 'check the data' });
}

/** Reads a file of a published snapshot, through the per-worker cache. */
export async function readSnapshot(input: { hash: string; file: string }, ctx: TaskContext): Promise<{ text: string; loads: number }> {
  const text = await ctx.cached(`snap:${input.hash}`, async () => {
    loads += 1;
    return fs.readFileSync(path.join(await ctx.snapshot(input.hash), input.file), 'utf8');
  });
  return { text, loads };
}
let loads = 0;
