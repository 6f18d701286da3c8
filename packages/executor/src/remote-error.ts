import { ApogeeError, ERROR_CODES, isApogeeError, type ErrorCode } from '@apogee/core';

/** An error as it crosses a process or machine boundary (JSON). */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  hint?: string;
}

export function toWireError(e: unknown): WireError {
  if (isApogeeError(e)) return { name: 'ApogeeError', message: e.message, code: e.code, hint: e.hint };
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message };
}

/** Back to an error on the coordinator, saying where it happened; apogee's own errors keep their code and hint. */
export function fromWireError(w: WireError, where: string): Error {
  if (w.code && Object.values(ERROR_CODES).includes(w.code as ErrorCode)) {
    return new ApogeeError(w.code as ErrorCode, `${where}: ${w.message}`, { hint: w.hint });
  }
  return new ApogeeError(ERROR_CODES.INTERNAL, `${where} failed: ${w.name}: ${w.message}`, {
    hint: 'Run again with the in-process executor (--workers 1) to see the full stack trace.',
  });
}
