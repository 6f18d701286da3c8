import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, TOKENS, definePlugin, type LossOutput, type RewardLoss, type RewardLossInput } from '@apogee/core';
import { ApoRewardLoss } from '@apogee/losses';
import { makeTempDir } from '@apogee/testing';
import { tinyRun, weightsHash } from '../test/tiny-game';
import type { ApoGameController } from './game-controller';

/** A user's reward loss that becomes NaN from its `after`-th call on: the run must stop cleanly. */
const nanRewardLoss = definePlugin<{ after: number }>('nan-reward-loss', {
  provides: [TOKENS.RewardLoss],
  defaults: { after: 1 },
  register(container, options) {
    let calls = 0;
    const inner = new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: 0.1, apoSampleNum: 2, apoLossType: 'ranking', centeringCoeff: 0 });
    const loss: RewardLoss = {
      name: 'nan-reward-loss',
      compute(input: RewardLossInput): LossOutput {
        const out = inner.compute(input);
        calls += 1;
        if (calls <= options.after) return out;
        const loss = tf.mul(out.loss, NaN) as tf.Scalar;
        out.loss.dispose();
        return { loss };
      },
    };
    container.register(TOKENS.RewardLoss, { useValue: loss });
  },
});

const controller = (run: Awaited<ReturnType<typeof tinyRun>>) => run.resolve(TOKENS.GameController) as ApoGameController;

describe('ApoGameController on a tiny world', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (tmp = makeTempDir('apogee-game-')));
  afterEach(() => tmp.cleanup());

  // One uninterrupted run, shared by the determinism and abort tests (each game costs seconds).
  let expected: { metrics: Array<Record<string, number>>; weights: string } | undefined;
  const play = async (dir: string, o: Parameters<typeof tinyRun>[1] = {}) => {
    const run = await tinyRun(dir, o);
    const result = await controller(run).run();
    await run.dispose();
    return { metrics: result.metrics, weights: weightsHash(result.checkpointDir!) };
  };

  it('same seed and backend give identical metrics and weights; another seed does not', async () => {
    const a = await play(path.join(tmp.dir, 'a'));
    const b = await play(path.join(tmp.dir, 'b'));
    const c = await play(path.join(tmp.dir, 'c'), { seed: 12, rounds: 1 });
    expected = a;
    expect(a.metrics).toHaveLength(2);
    for (const m of a.metrics) for (const [k, v] of Object.entries(m)) expect({ k, finite: Number.isFinite(v) }).toEqual({ k, finite: true });
    expect(a.metrics[1]).toEqual(expect.objectContaining({ round: 2, 'rm/items_apo': 8, 'rm/items_human': 16, /* 4 RM prompts × the world's 4 human pairs per prompt */ 'policy/steps': 1 }));
    expect(b).toEqual(a);
    expect(c.metrics[0]).not.toEqual(a.metrics[0]);
  });

  it('rmInit "continue" trains round 2\'s RM on from round 1\'s, and resumes from it', async () => {
    expected ??= await play(path.join(tmp.dir, 'ref'));
    const dir = path.join(tmp.dir, 'continue');
    const abort = new AbortController();
    const stopper = definePlugin('stop-in-round-2', {
      provides: [TOKENS.RoundCallback],
      register: (c) => c.register(TOKENS.RoundCallback, { useValue: { onPhaseEnd: (e) => void (e.round === 2 && e.phase === 'train-rm' && abort.abort()) } }),
    });
    const first = await tinyRun(dir, { rmInit: 'continue', extra: [stopper()] });
    const stopped = await controller(first).run({ signal: abort.signal });
    await first.dispose();
    expect(stopped.stopped).toMatchObject({ round: 2, phase: 'train-rm' });
    const second = await tinyRun(dir, { rmInit: 'continue' });
    const resumed = await controller(second).resume(dir);
    await second.dispose();
    // Round 1 is the same game as with rmInit "base"; round 2's RM starts from round 1's, so it differs.
    expect(resumed.metrics[0]).toEqual(expected.metrics[0]);
    expect(resumed.metrics[1]['rm/loss']).not.toBe(expected.metrics[1]['rm/loss']);
    expect(fs.existsSync(path.join(dir, 'checkpoints', 'models', 'rm-r0002', 'model.safetensors'))).toBe(true);
  });

  it('holds no more tensors after round 3 than after round 1', async () => {
    const counts: number[] = [];
    const run = await tinyRun(path.join(tmp.dir, 'mem'), {
      rounds: 3,
      evaluate: true,
      extra: [
        definePlugin('count-tensors', {
          provides: [TOKENS.RoundCallback],
          register: (c) => c.register(TOKENS.RoundCallback, { useValue: { onRoundEnd: () => void counts.push(tf.memory().numTensors) } }),
        })(),
      ],
    });
    await controller(run).run();
    await run.dispose();
    expect(counts).toHaveLength(3);
    expect(counts[2]).toBe(counts[0]);
  });

  it('a NaN loss stops the run with NON_FINITE naming round, phase and step, keeping the last good checkpoint', async () => {
    const dir = path.join(tmp.dir, 'nan');
    // Round 1's RM takes 3 steps (16 human + 8 APO items, batch 8); the 4th call is round 2's first step.
    const run = await tinyRun(dir, { extra: [nanRewardLoss({ after: 3 })] });
    const error = await controller(run).run().catch((e: unknown) => e);
    await run.dispose();
    expect(error).toBeInstanceOf(ApogeeError);
    expect(error).toMatchObject({ code: 'APOGEE_NON_FINITE', message: expect.stringMatching(/round 2, phase train-rm.*step 1/i) });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints', 'checkpoint.json'), 'utf8'));
    expect({ round: manifest.round, phase: manifest.phase }).toEqual({ round: 2, phase: 'sample-rm' });
  });

  it('an abort stops after the current step, says where to resume, and resume finishes the same run', async () => {
    expected ??= await play(path.join(tmp.dir, 'ref'));
    const dir = path.join(tmp.dir, 'abort');
    const abort = new AbortController();
    const stopper = definePlugin('stop-mid-update', {
      provides: [TOKENS.RoundCallback],
      register: (c) =>
        c.register(TOKENS.RoundCallback, { useValue: { onStep: (e) => void (e.round === 1 && e.phase === 'update-policy' && abort.abort()) } }),
    });
    const first = await tinyRun(dir, { extra: [stopper()] });
    const stopped = await controller(first).run({ signal: abort.signal });
    await first.dispose();
    expect(stopped.stopped).toEqual({ reason: 'aborted', round: 1, phase: 'score', dir: path.join(dir, 'checkpoints') });

    const second = await tinyRun(dir);
    const resumed = await controller(second).resume(dir);
    await second.dispose();
    expect({ metrics: resumed.metrics, weights: weightsHash(resumed.checkpointDir!) }).toEqual(expected);
  });

  it('an abort before the first checkpoint (during the SFT of π₀) stops with phase null', async () => {
    const dir = path.join(tmp.dir, 'early');
    const abort = new AbortController();
    abort.abort();
    const run = await tinyRun(dir);
    const result = await controller(run).run({ signal: abort.signal });
    await run.dispose();
    expect(result).toMatchObject({ metrics: [], stopped: { reason: 'aborted', round: 1, phase: null } });
    expect(fs.existsSync(path.join(dir, 'checkpoints', 'run.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'checkpoints', 'checkpoint.json'))).toBe(false);
  });

  it('refuses to overwrite a run directory, and to resume with another seed', async () => {
    const dir = path.join(tmp.dir, 'guard');
    const a = await tinyRun(dir, { rounds: 1, update: 'golden-sft' });
    await controller(a).run();
    await a.dispose();
    const b = await tinyRun(dir, { rounds: 1, update: 'golden-sft' });
    await expect(controller(b).run()).rejects.toMatchObject({ code: 'APOGEE_INVALID_ARGUMENT', hint: expect.stringContaining('apogee resume') });
    await b.dispose();
    const c = await tinyRun(dir, { rounds: 1, update: 'golden-sft', seed: 99 });
    await expect(controller(c).resume(dir)).rejects.toMatchObject({ code: 'APOGEE_CHECKPOINT_INVALID', message: expect.stringContaining('seed (was 11, now 99)') });
    await c.dispose();
  });
});
