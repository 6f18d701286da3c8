import { ERROR_CODES, parseWithSchema } from '@apogee/core';
import type { z } from 'zod';

/**
 * A zod check for an option kept under a deprecated name: `alias` and `name` may not both be given
 * with different values (the error names both). The schema's transform then keeps `name` only.
 */
export function aliasAgrees(name: string, alias: string) {
  return (o: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    if (o[name] !== undefined && o[alias] !== undefined && o[name] !== o[alias]) {
      ctx.addIssue({ code: 'custom', path: [alias], message: `is the deprecated name of "${name}" and disagrees with it; give "${name}" only` });
    }
  };
}

/**
 * A loss's options parsed with its plugin's schema, so a loss built with `new` (tests, a custom
 * pipeline) is validated, defaulted and de-aliased exactly as the plugin's are. Idempotent on
 * options the plugin already parsed.
 */
export function lossOptions<S extends z.ZodType>(schema: S, options: z.input<S>, lossName: string): z.output<S> {
  return parseWithSchema(schema as z.ZodType<z.output<S>>, options, { code: ERROR_CODES.PLUGIN_OPTIONS_INVALID, what: `Options of ${lossName}`, hint: `Fix the options given to ${lossName}.` });
}
