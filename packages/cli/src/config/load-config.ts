import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { closest } from 'fastest-levenshtein';
import type { z } from 'zod';
import { apogeeConfigSchema, ApogeeError, ERROR_CODES, formatPath, ioError, isApogeeError, type ApogeeConfig, type Problem } from '@apogee/core';

/** A config file read and validated, with the YAML document kept for locating nodes. */
export interface LoadedConfig {
  file: string;
  config: ApogeeConfig;
  /** The file's value before defaults were applied. */
  raw: unknown;
  /** A run directory's config.yaml only: what the run recorded about its plugins. */
  provenance?: { configFile?: string; plugins?: unknown[] };
  /** `file:line:column` of the node at a config path (or of its nearest existing parent). */
  locate(path: ReadonlyArray<PropertyKey>, options?: { key?: boolean }): string;
}

const HINT = 'Fix the fields listed above; `apogee config schema` prints every field with its allowed values, `apogee config init` writes a commented file with every default.';

/** Read a YAML or JSON config file (JSON is YAML) and parse its text. Errors carry file:line:column. */
export function readConfigDocument(file: string): { doc: Document; raw: unknown; locate: LoadedConfig['locate'] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const io = ioError(cause, 'read the config file', file);
    const why = isApogeeError(io) ? io.message.replace(/^Cannot read the config file .*?: /, '').replace(/\.$/, '') : (cause as Error).message;
    throw new ApogeeError(ERROR_CODES.CONFIG_INVALID, `Cannot read config file ${file}: ${why}.`, {
      hint: 'Check the path; `apogee config init FILE` writes a starting config.',
      cause,
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new ApogeeError(ERROR_CODES.CONFIG_INVALID, `Config file ${file} is not valid ${path.extname(file) === '.json' ? 'JSON' : 'YAML'}:`, {
      problems: doc.errors.map((e) => ({ path: where(e.pos[0]), message: e.message.split('\n')[0] })),
      hint: 'Fix the syntax at the positions listed above.',
    });
  }
  const locate = (p: ReadonlyArray<PropertyKey>, options?: { key?: boolean }): string => {
    const last = p[p.length - 1];
    const keyNode = options?.key && typeof last === 'string' ? keyNodeAt(doc, p.slice(0, -1), last) : undefined;
    const node = keyNode ?? nodeAt(doc, p);
    return where(node?.range?.[0] ?? 0);
  };
  let raw: unknown;
  try {
    // Aliases are expanded at most 100 times: a "billion laughs" file is refused, not expanded.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (cause) {
    throw new ApogeeError(ERROR_CODES.CONFIG_INVALID, `Config file ${file} expands YAML aliases (*name) too often: ${(cause as Error).message}.`, {
      hint: 'A config needs few aliases, if any; write the values out (a file that expands aliases exponentially, the "billion laughs", is refused).',
      cause,
    });
  }
  return { doc, raw, locate };
}

/** The deepest YAML node along `p` (the key node for a map entry that does not exist). */
function nodeAt(doc: Document, p: ReadonlyArray<PropertyKey>): YamlNode | undefined {
  let node: unknown = doc.contents;
  for (const key of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key || String((it.key as { value?: unknown })?.value) === String(key));
      if (!pair) break;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key];
    } else break;
  }
  return (node ?? doc.contents ?? undefined) as YamlNode | undefined;
}

/** The key node of `key` in the map at `p`, for "unknown key" problems. */
function keyNodeAt(doc: Document, p: ReadonlyArray<PropertyKey>, key: string): YamlNode | undefined {
  const parent = nodeAt(doc, p);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((it) => String((it.key as { value?: unknown })?.value) === key);
  return (pair?.key ?? undefined) as YamlNode | undefined;
}

/** The object schema found by walking `p` through defaults, optionals, objects and arrays. */
function objectKeysAt(schema: z.ZodType, p: ReadonlyArray<PropertyKey>): string[] | undefined {
  let s: unknown = schema;
  const unwrap = () => {
    for (let i = 0; i < 10; i++) {
      const def = (s as { _zod?: { def?: { type?: string; innerType?: unknown } } })._zod?.def;
      if (def && ['default', 'optional', 'nullable', 'prefault', 'readonly', 'catch'].includes(def.type ?? '') && def.innerType) s = def.innerType;
      else break;
    }
  };
  unwrap();
  for (const key of p) {
    const def = (s as { _zod: { def: { type: string; shape?: Record<string, unknown>; element?: unknown } } })._zod.def;
    if (def.type === 'object' && typeof key === 'string' && def.shape?.[key]) s = def.shape[key];
    else if (def.type === 'array' && typeof key === 'number') s = def.element;
    else return undefined;
    unwrap();
  }
  const def = (s as { _zod: { def: { type: string; shape?: Record<string, unknown> } } })._zod.def;
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/**
 * Validate `raw` against the config schema. Each problem names its path, what is allowed and the
 * `file:line:column` of the offending node; unknown keys get the closest known key suggested.
 */
export function configProblems(raw: unknown, locate: LoadedConfig['locate'], schema: z.ZodType = apogeeConfigSchema): Problem[] {
  const result = schema.safeParse(raw);
  if (result.success) return [];
  const problems: Problem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = objectKeysAt(schema, issue.path) ?? [];
      for (const key of issue.keys) {
        const at = locate([...issue.path, key], { key: true });
        const guess = allowed.length > 0 ? closest(key, allowed) : undefined;
        problems.push({
          path: formatPath([...issue.path, key]),
          message: `unknown field${guess ? ` (did you mean "${guess}"?)` : ''}; allowed: ${allowed.join(', ')} (${at})`,
        });
      }
      continue;
    }
    problems.push({ path: formatPath(issue.path), message: `${issue.message} (${locate(issue.path)})` });
  }
  return problems;
}

/** Read, parse and validate a config file. Throws one ApogeeError listing every problem. */
export function loadConfigFile(file: string, options: { /** A run directory's config.yaml, with its `provenance`. */ runFile?: boolean } = {}): LoadedConfig {
  const { raw: read, locate } = readConfigDocument(file);
  let raw = read;
  let provenance: LoadedConfig['provenance'];
  if (options.runFile && raw && typeof raw === 'object' && 'provenance' in raw) {
    const { provenance: p, ...rest } = raw as Record<string, unknown>;
    provenance = p as LoadedConfig['provenance'];
    raw = rest;
  }
  const problems = configProblems(raw, locate);
  if (problems.length > 0) {
    throw new ApogeeError(
      ERROR_CODES.CONFIG_INVALID,
      `Config file ${file} ${problems.length === 1 ? 'has a problem' : `has ${problems.length} problems`}:`,
      { problems, hint: HINT },
    );
  }
  return { file, config: apogeeConfigSchema.parse(raw), raw, locate, ...(provenance ? { provenance } : {}) };
}
