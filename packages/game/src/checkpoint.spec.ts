import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '@apogee/core';
import { makeTempDir } from '@apogee/testing';
import { CheckpointStore, rngEntry, type CheckpointManifest } from './checkpoint';

function manifest(over: Partial<CheckpointManifest> = {}): CheckpointManifest {
  return {
    format: 'apogee-game-checkpoint',
    version: 1,
    seed: 7,
    apo: true,
    policyUpdate: 'rjs',
    rounds: 2,
    round: 1,
    phase: 'train-rm',
    models: { policy: 'models/reference', reference: 'models/reference', rm: 'models/rm-r0001' },
    artifacts: { samplesRm: 'rounds/r0001/samples-rm.jsonl' },
    rng: rngEntry(Rng.fromSeed(7).stream('game').getState()),
    metrics: [],
    roundMetrics: { 'rm/loss': 0.69 },
    ...over,
  };
}

/** Write a "model" directory of two files, failing after the first when asked. */
function writeModel(content: string, failAfterFirst = false) {
  return async (dir: string) => {
    fs.writeFileSync(path.join(dir, 'config.json'), content);
    if (failAfterFirst) throw new Error('disk full');
    fs.writeFileSync(path.join(dir, 'model.safetensors'), content.repeat(3));
  };
}

describe('CheckpointStore', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let store: CheckpointStore;
  beforeEach(() => {
    tmp = makeTempDir();
    store = new CheckpointStore(tmp.dir);
  });
  afterEach(() => tmp.cleanup());

  async function commitValid(m = manifest()) {
    await store.saveModel('models/reference', writeModel('ref'));
    await store.saveModel('models/rm-r0001', writeModel('rm1'));
    await store.writeArtifact('rounds/r0001/samples-rm.jsonl', '{"query_id":"a","query":"q","sample_0":"s"}\n');
    await store.writeManifest(m);
  }

  it('round-trips a manifest and checks every path it names exists', async () => {
    await commitValid();
    expect(store.readManifest()).toEqual(manifest());
    fs.rmSync(path.join(tmp.dir, 'models/rm-r0001'), { recursive: true });
    expect(() => store.readManifest()).toThrow(expect.objectContaining({ code: 'APOGEE_CHECKPOINT_INVALID', message: expect.stringContaining('"models/rm-r0001"') }));
  });

  it('owns its format: commit tags the manifest and stores the RNG state; reset removes the checkpoint, not run.json', async () => {
    await store.saveModel('models/reference', writeModel('ref'));
    await store.saveModel('models/rm-r0001', writeModel('rm1'));
    await store.writeArtifact('rounds/r0001/samples-rm.jsonl', '{"query_id":"a","query":"q","sample_0":"s"}\n');
    const { format: _f, version: _v, rng: _r, ...state } = manifest();
    await store.commit({ ...state, rng: Rng.fromSeed(7).stream('game') });
    expect(store.readManifest()).toEqual(manifest());
    await store.writeRunInfo({ seed: 7, apo: true });
    expect(store.readRunInfo()).toEqual({ format: 'apogee-run', seed: 7, apo: true });
    expect(() => store.assertSameRun({ seed: 7, apo: true })).not.toThrow();
    expect(() => store.assertSameRun({ seed: 8, apo: true })).toThrow(expect.objectContaining({ code: 'APOGEE_CHECKPOINT_INVALID', message: expect.stringContaining('seed (was 7, now 8)') }));
    // run.json from before decision 0091 held the config's game.apo, which the variant overrode: ignored.
    await store.writeRunInfo({ seed: 7, apo: false, game: { apo: true, rmInit: 'base' } });
    expect(() => store.assertSameRun({ seed: 7, apo: false, game: { rmInit: 'base' } })).not.toThrow();
    expect(() => store.assertSameRun({ seed: 7, apo: true, game: { rmInit: 'base' } })).toThrow(expect.objectContaining({ message: expect.stringContaining('apo (was false, now true)') }));
    await store.reset();
    expect(store.hasCheckpoint()).toBe(false);
    expect(fs.existsSync(path.join(tmp.dir, 'models'))).toBe(false);
    expect(fs.existsSync(path.join(tmp.dir, 'rounds'))).toBe(false);
    expect(store.hasRunInfo()).toBe(true);
  });

  it('finds the checkpoint directory from a run directory, and the run directory from it', async () => {
    const nested = path.join(tmp.dir, 'checkpoints');
    await new CheckpointStore(nested).writeRunInfo({ seed: 1 });
    expect(CheckpointStore.locate(tmp.dir)).toBe(nested);
    expect(CheckpointStore.locate(nested)).toBe(nested);
    expect(new CheckpointStore(nested).runDir).toBe(tmp.dir);
    expect(() => new CheckpointStore(path.join(tmp.dir, 'none')).readRunInfo()).toThrow(expect.objectContaining({ code: 'APOGEE_CHECKPOINT_INVALID' }));
  });

  it('a model save that fails midway leaves the committed snapshot and manifest untouched', async () => {
    await commitValid();
    await expect(store.saveModel('models/rm-r0001', writeModel('rm1-new', true))).rejects.toThrow('disk full');
    expect(fs.readFileSync(path.join(tmp.dir, 'models/rm-r0001/model.safetensors'), 'utf8')).toBe('rm1rm1rm1');
    expect(store.readManifest()).toEqual(manifest());
    // A failed save leaves the folder exactly as it was: no half-written temporary (issue 20).
    expect(fs.readdirSync(path.join(tmp.dir, 'models')).sort()).toEqual(['reference', 'rm-r0001']);
    // One left by a killed writer is swept on resume.
    fs.mkdirSync(path.join(tmp.dir, 'models', '.tmp-rm-r0002-1-0'));
    await store.cleanTemporaries();
    expect(fs.readdirSync(path.join(tmp.dir, 'models')).sort()).toEqual(['reference', 'rm-r0001']);
  });

  it('a stale snapshot (renamed in, never committed) is replaced whole on the next write', async () => {
    await store.saveModel('models/policy-r0002', async (d) => fs.writeFileSync(path.join(d, 'stale.bin'), 'x'));
    await store.saveModel('models/policy-r0002', writeModel('p2'));
    expect(fs.readdirSync(path.join(tmp.dir, 'models/policy-r0002')).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('rejects a manifest that is not JSON or has a bad field, naming the field', async () => {
    await commitValid();
    fs.writeFileSync(path.join(tmp.dir, 'checkpoint.json'), '{"format": "apogee-game-checkpoint", ');
    expect(() => store.readManifest()).toThrow(/Cannot read the checkpoint manifest/);
    await store.writeManifest({ ...manifest(), phase: 'warm-up' as never });
    expect(() => store.readManifest()).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'phase' })] }));
  });

  it('"not measured" (NaN) metrics are stored as null and read back as NaN (issue 17 item 1)', async () => {
    const m = manifest({ metrics: [{ round: 1, goldReward: 0.25, rmAccuracyPolicy: Number.NaN, ecePolicy: Number.NaN }], roundMetrics: { 'rm/loss': Number.NaN } });
    await commitValid(m);
    const raw = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'checkpoint.json'), 'utf8'));
    expect(raw.metrics[0]).toEqual({ round: 1, goldReward: 0.25, rmAccuracyPolicy: null, ecePolicy: null });
    const back = store.readManifest();
    expect(back.metrics[0].goldReward).toBe(0.25);
    expect(back.metrics[0].rmAccuracyPolicy).toBeNaN();
    expect(back.roundMetrics['rm/loss']).toBeNaN();
  });

  it('refuses a hand-edited manifest: round beyond the run, an all-zero RNG state, a checksum that does not match (item 9)', async () => {
    await commitValid();
    const file = path.join(tmp.dir, 'checkpoint.json');
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(written.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Edited, checksum left as it was: the content no longer matches.
    fs.writeFileSync(file, JSON.stringify({ ...written, round: 2 }));
    expect(() => store.readManifest()).toThrow(/does not match its checksum: it was changed after apogee wrote it/);
    // Edited with the checksum removed: the schema still refuses the impossible values.
    const { checksum: _c, ...bare } = written;
    fs.writeFileSync(file, JSON.stringify({ ...bare, round: 99 }));
    expect(() => store.readManifest()).toThrow(expect.objectContaining({ problems: [{ path: 'round', message: 'is 99, but the run has 2 rounds' }] }));
    fs.writeFileSync(file, JSON.stringify({ ...bare, rng: { game: { name: 'root/game', s: [0, 0, 0, 0] } } }));
    expect(() => store.readManifest()).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'rng.game.s', message: expect.stringMatching(/all zero/) })] }));
    fs.writeFileSync(file, JSON.stringify({ ...bare, metrics: [{}, {}, {}] }));
    expect(() => store.readManifest()).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'metrics' })] }));
    // Unedited, without a checksum (written before it existed): accepted.
    fs.writeFileSync(file, JSON.stringify(bare));
    expect(store.readManifest()).toEqual(manifest());
  });

  it('the RNG state stored is the one restored', () => {
    const rng = Rng.fromSeed(7).stream('game');
    const restored = Rng.fromState(manifest().rng.game);
    expect(restored.stream('r1/sample-rm').float()).toBe(rng.stream('r1/sample-rm').float());
  });
});
