import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ApogeeError,
  ERROR_CODES,
  PHASES,
  parseWithSchema,
  syncDir,
  writeFileAtomic,
  writeJsonAtomic,
  type Phase,
  type Rng,
  type RngState,
} from '@apogee/core';
import { z } from 'zod';

/**
 * The game's checkpoint: a run directory holding immutable, complete snapshots (model directories
 * and round artifacts) and one manifest, `checkpoint.json`, written atomically *last*, that names
 * the snapshots of the newest complete state. A crash before the manifest's rename leaves the
 * previous manifest, and everything it names, untouched:
 *
 * ```
 * <dir>/
 *   checkpoint.json          the manifest (this file's schema); the only thing resume trusts
 *   run.json                 what the run was started with (seed, apo, plugins), written once
 *   models/reference/        π₀, the frozen reference (written once, before round 1)
 *   models/policy-r0001/     the policy after round 1's update (one per round)
 *   models/rm-r0001/         round 1's RM (APO) · models/rm-base/ RM_Base (baseline)
 *   rounds/r0001/            samples-rm.jsonl, apo-items.jsonl, samples-llm.jsonl, scores.json,
 *                            metrics.json (reference formats, docs/concepts/apo.md §8)
 * ```
 * Model directories are written into `models/.tmp-*` and renamed into place when complete.
 */
export const CHECKPOINT_FORMAT = 'apogee-game-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const MANIFEST_FILE = 'checkpoint.json';
export const RUN_FILE = 'run.json';

/**
 * A metric value. `null` records "not measured" (JSON has no NaN: an evaluator reports NaN for,
 * e.g., RM accuracy on policy pairs when no pair differs in gold); it reads back as NaN, so a
 * resumed run carries exactly the values the uninterrupted run had in memory.
 */
const metricValueSchema = z.union([z.number(), z.null()]).transform((v) => (v === null ? Number.NaN : v));
const metricsSchema = z.record(z.string(), metricValueSchema);
/** One 32-bit word of the generator's state (stored signed or unsigned, as JavaScript's bit operators leave it). */
const word32 = z.number().int().min(-0x80000000).max(0xffffffff);
const rngStateSchema = z.object({
  name: z.string(),
  s: z
    .tuple([word32, word32, word32, word32])
    .refine((s) => s.some((x) => x !== 0), 'is all zero, a state the generator never reaches (a hand-edited or corrupted manifest)'),
});

export const manifestSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.literal(CHECKPOINT_VERSION),
  /** Seed of the run; a resume with another seed is refused. */
  seed: z.number().int(),
  /** APO or baseline. */
  apo: z.boolean(),
  /** The policy update's name. */
  policyUpdate: z.string(),
  /** Rounds the run was started with (resume may extend). */
  rounds: z.number().int().min(1),
  /** The round the last completed phase belongs to (1-based). */
  round: z.number().int().min(1),
  /** The last completed phase. */
  phase: z.enum(PHASES as [Phase, ...Phase[]]),
  /** Model directories, relative to the run directory. `rm` is absent before the first RM exists. */
  models: z.object({ policy: z.string(), reference: z.string(), rm: z.string().optional() }),
  /** This round's artifacts written so far, relative to the run directory. */
  artifacts: z.object({
    samplesRm: z.string().optional(),
    apoItems: z.string().optional(),
    samplesLlm: z.string().optional(),
    scores: z.string().optional(),
  }),
  /** The game's RNG state (`Rng.getState`); every phase draws from a stream named after it. */
  rng: z.object({ game: rngStateSchema }),
  /** Metrics of every completed round, in order. */
  metrics: z.array(metricsSchema),
  /** Metrics of the current round's completed phases. */
  roundMetrics: metricsSchema,
  /**
   * `sha256:<hex>` of the manifest's JSON without this field, as written. A manifest whose content
   * does not match (edited by hand, damaged) is refused; one without it (written before it existed)
   * is checked by its schema only.
   */
  checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 hex digits').optional(),
}).superRefine((m, ctx) => {
  if (m.round > m.rounds) ctx.addIssue({ code: 'custom', path: ['round'], message: `is ${m.round}, but the run has ${m.rounds} rounds` });
  if (m.metrics.length > m.round) ctx.addIssue({ code: 'custom', path: ['metrics'], message: `holds ${m.metrics.length} rounds of metrics, but the checkpoint is in round ${m.round}` });
});

export type CheckpointManifest = Omit<z.infer<typeof manifestSchema>, 'checksum'>;

/** The checksum a manifest is written with: SHA-256 of its JSON (NaN written as null) without `checksum`. */
export function manifestChecksum(manifest: Record<string, unknown>): string {
  const { checksum: _checksum, ...rest } = manifest;
  return `sha256:${createHash('sha256').update(JSON.stringify(rest)).digest('hex')}`;
}

/** What {@link CheckpointStore.commit} is given: the manifest less its format tag, with the live RNG. */
export type CheckpointState = Omit<CheckpointManifest, 'format' | 'version' | 'rng'> & { rng: Rng };

/** `run.json`: what a run was started with (anything that changes its numbers), written once. */
export type RunInfo = Record<string, unknown>;

/** Directory name of round `round`'s artifacts, zero-padded so listings sort. */
export function roundDir(round: number): string {
  return `rounds/r${String(round).padStart(4, '0')}`;
}

/** Directory name of a per-round model snapshot (`policy-r0002`). */
export function modelDir(kind: 'policy' | 'rm', round: number): string {
  return `models/${kind}-r${String(round).padStart(4, '0')}`;
}

let tmpCounter = 0;

/** Reads and writes one run directory's checkpoint; the only code that knows its file names and format. */
export class CheckpointStore {
  constructor(readonly dir: string) {}

  /** `resume` accepts the checkpoint directory itself or the run directory holding `checkpoints/`. */
  static locate(dir: string): string {
    const nested = path.join(dir, 'checkpoints');
    if (!fs.existsSync(path.join(dir, RUN_FILE)) && fs.existsSync(path.join(nested, RUN_FILE))) return nested;
    return dir;
  }

  /** The run directory of this store (`<outDir>` for `<outDir>/checkpoints`): what `apogee resume` takes. */
  get runDir(): string {
    return path.basename(this.dir) === 'checkpoints' ? path.dirname(this.dir) : this.dir;
  }

  resolve(rel: string): string {
    return path.join(this.dir, rel);
  }

  /** Whether a manifest exists. */
  hasCheckpoint(): boolean {
    return fs.existsSync(this.resolve(MANIFEST_FILE));
  }

  /** Whether `run.json` exists: the directory holds a run, possibly killed before its first checkpoint. */
  hasRunInfo(): boolean {
    return fs.existsSync(this.resolve(RUN_FILE));
  }

  /** Remove the checkpoint (manifest, models, round artifacts) to start the run over. */
  async reset(): Promise<void> {
    for (const sub of [MANIFEST_FILE, 'models', 'rounds']) {
      await fs.promises.rm(this.resolve(sub), { recursive: true, force: true });
    }
  }

  /**
   * Write a model snapshot to `rel` completely or not at all: `save` writes into a fresh temporary
   * directory, which is then renamed to `rel`. A stale directory at `rel` (from a crash after a
   * rename but before the manifest named it) is removed first: only the manifest makes a snapshot
   * part of the checkpoint, and it never names a directory that is being rewritten.
   */
  async saveModel(rel: string, save: (dir: string) => Promise<void>): Promise<string> {
    const target = this.resolve(rel);
    const parent = path.dirname(target);
    await fs.promises.mkdir(parent, { recursive: true });
    const tmp = path.join(parent, `.tmp-${path.basename(target)}-${process.pid}-${tmpCounter++}`);
    await fs.promises.rm(tmp, { recursive: true, force: true });
    await fs.promises.mkdir(tmp);
    try {
      await save(tmp);
      await fs.promises.rm(target, { recursive: true, force: true });
      await fs.promises.rename(tmp, target);
    } catch (e) {
      // A failed save leaves no temporary directory behind (issue 20).
      await fs.promises.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    await syncDir(parent);
    return rel;
  }

  /** Write an artifact file atomically; returns `rel`. */
  async writeArtifact(rel: string, text: string): Promise<string> {
    await writeFileAtomic(this.resolve(rel), text);
    return rel;
  }

  /** Commit a state: the manifest is written atomically, after everything it names. */
  async commit(state: CheckpointState): Promise<void> {
    const { rng, ...rest } = state;
    const manifest: CheckpointManifest = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...rest, rng: rngEntry(rng.getState()) };
    await this.writeManifest(manifest);
  }

  /** Write a manifest as given (`commit` fills the format tag and the RNG entry). */
  async writeManifest(manifest: CheckpointManifest): Promise<void> {
    const { checksum: _old, ...content } = manifest as CheckpointManifest & { checksum?: string };
    await writeJsonAtomic(this.resolve(MANIFEST_FILE), { ...content, checksum: manifestChecksum(content) });
  }

  /** Write `run.json` (`format: 'apogee-run'` first, then `info`). */
  async writeRunInfo(info: RunInfo): Promise<void> {
    await writeJsonAtomic(this.resolve(RUN_FILE), { format: 'apogee-run', ...info });
  }

  /** `run.json`, parsed. */
  readRunInfo(): RunInfo {
    try {
      return JSON.parse(fs.readFileSync(this.resolve(RUN_FILE), 'utf8')) as RunInfo;
    } catch (cause) {
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `Cannot read ${this.resolve(RUN_FILE)}.`, { hint: 'Point resume at a run directory written by apogee.', cause });
    }
  }

  /** Refuse to continue a run that was started with settings that change the numbers (`now`: each such setting). */
  assertSameRun(now: RunInfo): void {
    const was = withoutGameApo(this.readRunInfo());
    // Learning rates change only the steps still to come: a resume may lower them (after a NaN stop).
    const differ = Object.keys(now).filter((k) => JSON.stringify(withoutLearningRates(now[k])) !== JSON.stringify(withoutLearningRates(was[k])));
    if (differ.length > 0) {
      throw new ApogeeError(
        ERROR_CODES.CHECKPOINT_INVALID,
        `The run in ${this.dir} was started with different settings: ${differ.map((k) => `${k} (was ${JSON.stringify(was[k])}, now ${JSON.stringify(now[k])})`).join('; ')}.`,
        { hint: 'Resume with the config and plugins the run was started with; only game.rounds and learning rates may change (apogee resume DIR --set KEY=VALUE).' },
      );
    }
  }

  /** The manifest, validated, and every path it names checked to exist. */
  readManifest(): CheckpointManifest {
    const file = this.resolve(MANIFEST_FILE);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `Cannot read the checkpoint manifest ${file}.`, {
        hint: 'Point resume at a run directory written by apogee (it holds checkpoint.json).',
        cause,
      });
    }
    const parsed = parseWithSchema(manifestSchema, raw, {
      code: ERROR_CODES.CHECKPOINT_INVALID,
      what: `The checkpoint manifest ${file}`,
      hint: 'The manifest was written by another apogee version or edited by hand.',
    });
    if (parsed.checksum !== undefined && parsed.checksum !== manifestChecksum(raw as Record<string, unknown>)) {
      throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `The checkpoint manifest ${file} does not match its checksum: it was changed after apogee wrote it.`, {
        hint: 'Undo the edit (or restore the file); a manifest that names the wrong round, models or RNG state would resume a different run.',
      });
    }
    const { checksum: _checksum, ...manifest } = parsed;
    const named = [manifest.models.policy, manifest.models.reference, manifest.models.rm, ...Object.values(manifest.artifacts)];
    for (const rel of named) {
      if (rel !== undefined && !fs.existsSync(this.resolve(rel))) {
        throw new ApogeeError(ERROR_CODES.CHECKPOINT_INVALID, `The checkpoint in ${this.dir} names "${rel}", which does not exist.`, {
          hint: 'Files were removed from the run directory; restore them or start a new run.',
        });
      }
    }
    return manifest;
  }

  /** Remove temporary directories and files left by a killed writer. */
  async cleanTemporaries(): Promise<void> {
    for (const sub of ['models', '.']) {
      const dir = this.resolve(sub);
      if (!fs.existsSync(dir)) continue;
      for (const name of await fs.promises.readdir(dir)) {
        if (name.startsWith('.tmp-') || (name.startsWith('.') && name.endsWith('.tmp'))) {
          await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
        }
      }
    }
  }
}

/** The RNG state as stored in the manifest. */
export function rngEntry(game: RngState): CheckpointManifest['rng'] {
  return { game: { name: game.name, s: [...game.s] as [number, number, number, number] } };
}

/**
 * Run info without `game.apo`, which run.json files written before decision 0091 hold: the config's
 * value, which the variant silently overrode. The top-level `apo` is what the run played.
 */
function withoutGameApo(info: RunInfo): RunInfo {
  const game = info.game;
  if (typeof game !== 'object' || game === null || !('apo' in game)) return info;
  const { apo: _apo, ...rest } = game as Record<string, unknown>;
  return { ...info, game: rest };
}

/** A run-info value with every learning rate (`lr`, `…Lr`) removed, for the resume comparison. */
function withoutLearningRates(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutLearningRates);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'lr' && !/[a-z]Lr$/.test(k)).map(([k, x]) => [k, withoutLearningRates(x)]));
}
