import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { parseWithSchema } from './validation';

/** A plugin named in config: `"name"` or `["name", { ...options }]`. */
export const pluginRefSchema = z.union([
  z.string().min(1),
  z.tuple([z.string().min(1), z.record(z.string(), z.unknown())]),
]);
export type PluginRef = z.infer<typeof pluginRefSchema>;

/** Tensor backends `@apogee/runtime` can select. `auto` picks the fastest available. */
export const BACKEND_NAMES = ['auto', 'tensorflow', 'apogee-cpu', 'cpu'] as const;

/** Options of the game loop itself (`docs/concepts/apo.md` §4). */
export const gameConfigSchema = z
  .object({
    /** Rounds of the RM–LLM game. The paper ran 3. */
    rounds: z.number().int().min(1).max(1000).default(3).describe('Rounds of the RM-LLM game (APO paper: 3).'),
    /**
     * Whether the RM is trained adversarially on golden-vs-sample items (APO) or once on human
     * pairs only (RM_Base, the baseline). The variant preset (the `apo-game` plugin's `apo`) owns
     * it: leave it out. When set, it must agree with the variant, or the run is refused naming
     * this field (docs/decisions/0091-one-place-for-apo.md). Unset everywhere: APO.
     */
    apo: z
      .boolean()
      .optional()
      .describe('Normally left out: the variant preset decides (the *-apo presets play APO, the others the RM_Base baseline). When set, it must agree with the variant, or the run is refused.'),
    /**
     * Where each round's RM starts: from the base model (`base`, the reference code; continuing
     * was reported worse) or from the previous round's RM (`continue`).
     */
    rmInit: z
      .enum(['base', 'continue'])
      .default('base')
      .describe("Where each round's RM starts: the base model (reference code) or the previous round's RM."),
    /** Samples per query, for RM and LLM queries alike (reference: 4). */
    samplesPerQuery: z.number().int().min(1).max(64).default(4).describe('Samples per RM and LLM query (reference: 4).'),
    /** Responses are cut at the first of these (reference: `"\nHuman"`). */
    stop: z.array(z.string().min(1)).default(['\nHuman']).describe('Responses are cut at the first of these strings (reference: "\\nHuman").'),
    /** Most new tokens per sample (reference: 256). */
    maxNewTokens: z.number().int().min(1).max(4096).default(256).describe('Most new tokens per sample (reference: 256).'),
  })
  .strict();

/** The whole run config. Every field has a default; `parseConfig({})` is a valid config. */
export const apogeeConfigSchema = z
  .object({
    /** One seed derives every random stream of the run. */
    seed: z.number().int().min(0).max(0xffffffff).default(1).describe('One seed derives every random stream of the run (same seed + same backend = same numbers).'),
    /** Tensor backend; `auto` picks tensorflow → apogee-cpu → cpu. */
    backend: z.enum(BACKEND_NAMES).default('auto').describe('Tensor backend; auto picks tensorflow (tfjs-node, when installed), then apogee-cpu, then cpu.'),
    /** Run directory: checkpoints, metrics, samples, report. */
    outDir: z.string().min(1).default('runs/latest').describe('Run directory: config, checkpoints, metrics, samples, report (docs/guides/run-directory.md).'),
    /** Plugins, in order; for a token registered twice the last one wins. */
    plugins: z
      .array(pluginRefSchema)
      .default([])
      .describe('Plugins in order, each a name or [name, options]; for a token registered twice the last one wins.'),
    /**
     * Plugin files or package directories of your own, relative to the config file, that
     * `plugins` may name by the same path. Only these paths load; any other path is refused.
     */
    localPlugins: z
      .array(z.string().min(1))
      .default([])
      .describe('Plugin files or directories of your own, relative to the config file, that "plugins" may name by the same path; any other path in "plugins" is refused without running it.'),
    game: gameConfigSchema.default(gameConfigSchema.parse({})).describe('Options of the game loop (docs/concepts/apo.md section 4).'),
  })
  .strict();

export type ApogeeConfig = z.infer<typeof apogeeConfigSchema>;
export type GameConfig = z.infer<typeof gameConfigSchema>;
/** What a user writes: every field optional. */
export type ApogeeConfigInput = z.input<typeof apogeeConfigSchema>;

/**
 * Validate a raw config (parsed YAML/JSON or an object from code). Throws one `ApogeeError`
 * (`APOGEE_CONFIG_INVALID`) listing every problem with its path, e.g. `game.rmInit: Invalid
 * option: expected one of "base"|"continue"`.
 */
export function parseConfig(raw: unknown, source = 'config'): ApogeeConfig {
  return parseWithSchema(apogeeConfigSchema, raw ?? {}, {
    code: ERROR_CODES.CONFIG_INVALID,
    what: `The ${source}`,
    hint: 'Fix the fields listed above; `apogee config schema` prints every field with its allowed values.',
  });
}
