import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { apogeeConfigSchema } from '@apogee/core';

type JsonSchema = {
  description?: string;
  default?: unknown;
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  [k: string]: unknown;
};

/**
 * The config's JSON Schema (draft 2020-12), derived from the zod schema in `@apogee/core`, for
 * editor completion (`# yaml-language-server: $schema=...`, VS Code `json.schemas`).
 */
export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(apogeeConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return {
    $schema: schema.$schema,
    $id: 'https://apogee.dev/schema/config.json',
    title: 'apogee run config',
    description: 'Config of an apogee run (Adversarial Preference Optimization). Every field is optional and has a default.',
    ...schema,
  };
}

function commentFor(s: JsonSchema): string {
  const lines: string[] = [];
  if (s.description) lines.push(...s.description.split('\n'));
  if (s.enum) lines.push(`allowed: ${s.enum.map((v) => JSON.stringify(v)).join(' | ')}`);
  else if (s.minimum !== undefined || s.maximum !== undefined) lines.push(`range: ${s.minimum ?? '-∞'} … ${s.maximum ?? '∞'}`);
  if (s.default !== undefined && !(typeof s.default === 'object' && s.default !== null && !Array.isArray(s.default))) {
    lines.push(`default: ${JSON.stringify(s.default)}`);
  }
  return lines.map((l) => ` ${l}`).join('\n');
}

function annotate(map: YAMLMap, schema: JsonSchema): void {
  for (const pair of map.items) {
    if (!isScalar(pair.key)) continue;
    const prop = schema.properties?.[String(pair.key.value)];
    if (!prop) continue;
    pair.key.commentBefore = commentFor(prop);
    if (isMap(pair.value)) annotate(pair.value, prop);
  }
}

/** A YAML config holding every option at its default, each with a comment (`apogee config init`). */
export function commentedDefaultConfig(): string {
  const schema = configJsonSchema();
  const doc = new Document(apogeeConfigSchema.parse({}));
  doc.commentBefore = [
    ' apogee run config: every option with its default. Delete what you do not change.',
    ' Editor completion: `apogee config schema --out apogee.schema.json`, then keep the next line.',
    ' yaml-language-server: $schema=./apogee.schema.json',
    ' Check it with `apogee config validate FILE`; run it with `apogee run --config FILE`.',
  ].join('\n');
  if (isMap(doc.contents)) annotate(doc.contents, schema);
  const pluginsPair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'plugins') : undefined;
  if (pluginsPair && isScalar(pluginsPair.key)) {
    pluginsPair.key.commentBefore +=
      '\n names or [name, options]: built-ins (`apogee plugins` lists them) or npm packages, e.g.\n   plugins: [dpo-apo, [dpo-loss, { beta: 0.1 }], apogee-plugin-my-sampler]';
  }
  return doc.toString({ lineWidth: 100 });
}
