import { Document, isMap, isScalar, Scalar, visit, type YAMLMap } from 'yaml';
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

/**
 * The plugins of a config that runs as it stands: the embedded world as data and gold judge, a
 * small GPT policy and reward model on the byte tokenizer, the reference samplers, the evaluator
 * and one variant preset (`apogee plugins` lists the alternatives).
 */
export function starterPlugins(variant = 'dpo-apo', available?: ReadonlySet<string>): string[] {
  const wanted = ['byte-tokenizer', 'gpt-policy', 'gpt-reward', 'sampler', 'eval-sampler', 'world-data-source', 'gold-judge', 'evaluator', variant];
  return available ? wanted.filter((n) => available.has(n)) : wanted;
}

/**
 * A YAML config holding every option at its default, each with a comment (`apogee config init`).
 * `plugins` holds a working starter pipeline (its schema default, [], runs nothing).
 */
export function commentedDefaultConfig(plugins: readonly string[] = []): string {
  const schema = configJsonSchema();
  const doc = new Document({ ...apogeeConfigSchema.parse({}), plugins: [...plugins] });
  // Strings with line breaks as "\n…" rather than block scalars: easier to read in a config.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && node.value.includes('\n')) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
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
      '\n Names or [name, options]: built-ins (`apogee plugins` lists them) or npm packages, e.g.\n   - [dpo-loss, { beta: 0.1 }]\n   - apogee-plugin-my-sampler\n The list below is a working starter pipeline on the embedded preference world.';
  }
  return doc.toString({ lineWidth: 100 });
}
