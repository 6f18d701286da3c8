import { initBackend } from '@apogee/runtime';

/** The fastest available tfjs backend, without its startup log lines (tests read their own output). */
export async function initQuietBackend(): Promise<void> {
  await initBackend({ logger: { info: () => undefined, warn: () => undefined, debug: () => undefined } });
}
