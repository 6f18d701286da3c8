import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ApogeeError, ERROR_CODES, parseConfig, type ApogeeConfig, type PluginRef } from '@apogee/core';

/** Where `apogee resume --set` records each change (one JSON line per resume that changed something). */
export const SETTINGS_LOG = 'settings-changes.jsonl';

/** One `--set` applied: the config path, the value before and after. */
export interface SettingChange {
  key: string;
  from: unknown;
  to: unknown;
}

/**
 * Whether a setting may change when a run resumes: it must change only what happens next, never
 * what the checkpoints already hold. Learning rates (any plugin option named `lr` or `…Lr`) and the
 * number of rounds qualify; seeds, data, model shapes and the like do not.
 */
export function isResumeSafe(key: string): boolean {
  if (key === 'game.rounds') return true;
  const last = key.split('.').pop() ?? '';
  return !key.startsWith('game.') && key.includes('.') && (last === 'lr' || /[a-z]Lr$/.test(last));
}

const ALLOWED = '`game.rounds` and learning rates (`<plugin>.<…>.lr`, e.g. `dpo-apo.game.rm.lr` or `dpo-apo.lr`)';

/**
 * Apply `--set KEY=VALUE` overrides to a run's config for `apogee resume`. `game.rounds` sets the
 * rounds; `<plugin>.<option path>` sets an option of the plugin of that name in `plugins`. Values
 * are read as YAML scalars (`1e-4`, `5`). Only {@link isResumeSafe} keys are accepted.
 */
export function applyResumeSettings(config: ApogeeConfig, sets: readonly string[]): { config: ApogeeConfig; changes: SettingChange[] } {
  const next: ApogeeConfig = structuredClone(config);
  const changes: SettingChange[] = [];
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw bad(`--set ${JSON.stringify(set)} is not KEY=VALUE.`);
    const key = set.slice(0, eq).trim();
    const raw = set.slice(eq + 1).trim();
    if (!isResumeSafe(key)) {
      throw bad(`--set ${key}: only ${ALLOWED} may change when a run resumes.`, 'Other settings change what the checkpoints already hold; start a new run (apogee run --out NEW) to change them.');
    }
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch {
      value = raw;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`--set ${key}=${raw}: the value must be a number.`);
    if (key === 'game.rounds') {
      changes.push({ key, from: next.game.rounds, to: value });
      next.game.rounds = value;
      continue;
    }
    const [plugin, ...rest] = key.split('.');
    const at = next.plugins.findIndex((r) => (typeof r === 'string' ? r : r[0]) === plugin);
    if (at < 0) {
      const names = next.plugins.map((r) => (typeof r === 'string' ? r : r[0]));
      throw bad(`--set ${key}: this run has no plugin "${plugin}".`, `Its plugins: ${names.join(', ')}.`);
    }
    const ref = next.plugins[at];
    const options: Record<string, unknown> = typeof ref === 'string' ? {} : (ref[1] as Record<string, unknown>);
    let node = options;
    for (const part of rest.slice(0, -1)) {
      const child = node[part];
      if (child !== undefined && (typeof child !== 'object' || child === null || Array.isArray(child))) throw bad(`--set ${key}: "${part}" is not an options object.`);
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    const leaf = rest[rest.length - 1];
    changes.push({ key, from: node[leaf] ?? null, to: value });
    node[leaf] = value;
    next.plugins[at] = [plugin, options] as PluginRef;
  }
  return { config: parseConfig(next, 'config with --set'), changes };
}

/** Append the changes of one resume to the run's `settings-changes.jsonl`. */
export function recordSettingChanges(dir: string, changes: readonly SettingChange[], now = new Date()): void {
  if (changes.length === 0) return;
  appendFileSync(path.join(dir, SETTINGS_LOG), `${JSON.stringify({ time: now.toISOString(), event: 'resume', changes })}\n`);
}

function bad(message: string, hint?: string): ApogeeError {
  return new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, message, { hint: hint ?? `Use --set KEY=VALUE with KEY one of ${ALLOWED}.` });
}
