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
 *                            metrics.json (reference formats, apo-method.md §8)
 * ```
 * Model directories are written into `models/.tmp-*` and renamed into place when complete.
 */
export const CHECKPOINT_FORMAT = 'apogee-game-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const MANIFEST_FILE = 'checkpoint.json';
export const RUN_FILE = 'run.json';

const metricsSchema = z.record(z.string(), z.number());
const rngStateSchema = z.object({
  name: z.string(),
  s: z.tuple([z.number(), z.number(), z.number(), z.number()]),
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
});

export type CheckpointManifest = z.infer<typeof manifestSchema>;

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
    await writeJsonAtomic(this.resolve(MANIFEST_FILE), manifest);
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
    const was = this.readRunInfo();
    const differ = Object.keys(now).filter((k) => JSON.stringify(now[k]) !== JSON.stringify(was[k]));
    if (differ.length > 0) {
      throw new ApogeeError(
        ERROR_CODES.CHECKPOINT_INVALID,
        `The run in ${this.dir} was started with different settings: ${differ.map((k) => `${k} (was ${JSON.stringify(was[k])}, now ${JSON.stringify(now[k])})`).join('; ')}.`,
        { hint: 'Resume with the config and plugins the run was started with (only game.rounds may grow).' },
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
    const manifest = parseWithSchema(manifestSchema, raw, {
      code: ERROR_CODES.CHECKPOINT_INVALID,
      what: `The checkpoint manifest ${file}`,
      hint: 'The manifest was written by another apogee version or edited by hand.',
    });
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
