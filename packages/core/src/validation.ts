import type { z } from 'zod';
import { ApogeeError, type ErrorCode, type Problem } from './errors';

/** Format a zod issue path (`game.rounds`, `plugins[2][1].beta`). */
export function formatPath(path: ReadonlyArray<PropertyKey>, root = ''): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/** Every problem zod found, each with its path. */
export function zodProblems(error: z.ZodError, root = ''): Problem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path, root), message: issue.message }));
}

/** Parse or throw one ApogeeError listing every problem. */
export function parseWithSchema<T>(
  schema: z.ZodType<T>,
  value: unknown,
  context: { code: ErrorCode; what: string; hint?: string; root?: string },
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = zodProblems(result.error, context.root);
  throw new ApogeeError(
    context.code,
    `${context.what} ${problems.length === 1 ? 'has a problem' : `have ${problems.length} problems`}:`,
    { problems, hint: context.hint },
  );
}
