/**
 * The README test of the first-party variant presets (`@apogee/variant-*`), imported by their
 * README.spec.ts as `@apogee/game/testing`:
 *
 * ```ts
 * describeVariantReadme(__dirname, rjsApo, { title: 'RJS-APO', apo: true, update: 'rjs' }); // README.spec.ts
 * ```
 *
 * The preset conformance kit, `describeVariant`, is published from `@apogee/testing` for every
 * variant author. This README round lives here, beside the tiny-game harness, because it needs the
 * policy, reward, samplers, tokenizers, world and runtime packages, which `@apogee/game` already
 * has as devDependencies for its own tiny-world tests. The subpath is exported under the
 * `@apogee/source` condition only: it is test code, never built or published.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import * as core from '@apogee/core';
import { type AnyPluginFactory, type PluginFactory } from '@apogee/core';
import * as policy from '@apogee/policy';
import * as reward from '@apogee/reward';
import * as runtime from '@apogee/runtime';
import * as samplers from '@apogee/samplers';
import { makeTempDir } from '@apogee/testing';
import * as tokenizers from '@apogee/tokenizers';
import * as world from '@apogee/world';
import { type VariantOptions } from '../src';
import type { UpdateName } from './tiny-game';

export interface VariantKitOptions {
  /** APO (the RM retrained every round on golden-vs-sample items) or the RM_Base baseline. */
  apo: boolean;
  /** Name of the `PolicyUpdate` the preset registers. */
  update: UpdateName;
}

/** The packages a README example may import from, by the name its README gives them. */
const README_MODULES: Record<string, object> = {
  '@apogee/core': core,
  '@apogee/policy': policy,
  '@apogee/reward': reward,
  '@apogee/runtime': runtime,
  '@apogee/samplers': samplers,
  '@apogee/tokenizers': tokenizers,
  '@apogee/world': world,
};

/** A variant README's usage example: its first ```ts block and the names it says the code imports. */
export interface ReadmeExample {
  /** The code, as the README shows it. */
  code: string;
  /** The packages of the README's "the imports are …" sentence, besides the variant. */
  imports: string[];
  /** The name the README imports the preset under (`import rjsApo from '@apogee/variant-rjs-apo'`). */
  presetBinding: string;
}

/** Reads the usage example of a variant's README (throws naming the file and what is missing). */
export function readReadmeExample(readmeFile: string): ReadmeExample {
  const text = fs.readFileSync(readmeFile, 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(text);
  if (!block) throw new Error(`${readmeFile}: no \`\`\`ts usage example`);
  const rest = text.slice(block.index + block[0].length);
  const sentence = /the imports are ([^)]*)\)/.exec(rest);
  if (!sentence) throw new Error(`${readmeFile}: after the example, no "(… the imports are …)" sentence naming its imports`);
  const binding = /import (\w+) from '@apogee\/variant-[\w-]+'/.exec(sentence[1]);
  if (!binding) throw new Error(`${readmeFile}: the imports sentence does not say "import <name> from '@apogee/variant-…'"`);
  const imports = [...sentence[1].replace(binding[0], '').matchAll(/`(@apogee\/[\w-]+)`/g)].map((m) => m[1]);
  return { code: block[1], imports, presetBinding: binding[1] };
}

/**
 * Runs a README example's code as written (TypeScript transpiled, nothing else changed) with the
 * exports of the packages the README names, the preset under the README's name and `outDir` in
 * scope; returns the `result` the example ends with.
 */
export async function runReadmeExample(example: ReadmeExample, preset: unknown, outDir: string): Promise<core.GameResult> {
  const scope: Record<string, unknown> = {};
  for (const pkg of example.imports) {
    const mod = README_MODULES[pkg];
    if (!mod) throw new Error(`README example imports ${pkg}, which the variant kit does not provide (it has ${Object.keys(README_MODULES).join(', ')})`);
    Object.assign(scope, mod);
  }
  Object.assign(scope, { [example.presetBinding]: preset, outDir });
  const fn = ts.transpileModule(`async function readmeExample() {\n${example.code}\nreturn result;\n}\n`, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None },
  }).outputText;
  return new Function(...Object.keys(scope), `${fn}\nreturn readmeExample();`)(...Object.values(scope)) as Promise<core.GameResult>;
}

/**
 * The README's usage example is a test: its code runs as written (it picks the tfjs backend itself:
 * nothing is set up here that the README does not show) and plays one round end to end on
 * a tiny world; every metric is finite, the policy trained, and the RM trained on APO items and
 * scored samples only where the variant plays APO (golden SFT never samples, so it scores none).
 */
export function describeVariantReadme(packageDir: string, preset: AnyPluginFactory, o: VariantKitOptions & { /** The variant's name in prose. */ title: string }): void {
  it(`README example: ${o.title} plays a round end to end`, async () => {
    const example = readReadmeExample(path.join(packageDir, 'README.md'));
    const tmp = makeTempDir(`apogee-${preset.pluginName}-`);
    let result: core.GameResult;
    try {
      result = await runReadmeExample(example, preset, tmp.dir); // result.metrics[0]['policy/loss'], …
    } finally {
      tmp.cleanup();
    }
    const m = result.metrics[0];
    expect(result.metrics).toHaveLength(1);
    for (const [k, v] of Object.entries(m)) expect({ k, finite: Number.isFinite(v) }).toEqual({ k, finite: true });
    expect(m['policy/steps']).toBeGreaterThan(0);
    expect(m['rm/items_apo']).toBe(o.apo ? 8 : 0);
    expect('sample-rm/samples' in m).toBe(o.apo);
    expect('score/mean' in m).toBe(o.update !== 'golden-sft');
  });
}
export { tinyGameParts } from './tiny-game';
