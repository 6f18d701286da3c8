import { ApogeeError, ERROR_CODES } from './errors';
import type { LossOutput, OptimizerConfig, TrainStepResult } from './contracts/training';
import { minibatchSteps, scheduledOptimizer, trainMinibatches, type MinibatchTrainable } from './minibatch-training';
import { Rng } from './rng';

/** A model whose "forward" is the batch itself: each step reports loss = sum of the batch. */
class SumModel implements MinibatchTrainable<number> {
  optimizer?: OptimizerConfig;
  batches: number[][] = [];
  setOptimizer(config: OptimizerConfig): void {
    this.optimizer = config;
  }
  async trainStep(loss: (forward: number) => LossOutput): Promise<TrainStepResult> {
    const batch = (loss as unknown as { batch: number[] }).batch;
    this.batches.push(batch);
    const sum = batch.reduce((a, b) => a + b, 0);
    return { step: this.batches.length, loss: sum, gradNorm: 0, lr: this.optimizer!.lr, metrics: { size: batch.length } };
  }
}
const lossFor = (batch: number[]) => Object.assign(() => ({}) as LossOutput, { batch });
const examples = [1, 2, 3, 4, 5];

describe('trainMinibatches', () => {
  it('shuffles once per epoch from the rng, steps in batchSize chunks and averages the last epoch', async () => {
    const model = new SumModel();
    const steps: Array<[number, number]> = [];
    const out = await trainMinibatches(model, examples, { epochs: 2, batchSize: 2 }, (total) => ({ lr: 0.1, totalSteps: total }), Rng.fromSeed(7), lossFor, {
      onStep: (r, total) => void steps.push([r.step, total]),
    });
    const rng = Rng.fromSeed(7);
    const orders = [rng.shuffle([0, 1, 2, 3, 4]), rng.shuffle([0, 1, 2, 3, 4])];
    const expected = orders.flatMap((o) => [o.slice(0, 2), o.slice(2, 4), o.slice(4)].map((b) => b.map((i) => examples[i])));
    expect(model.batches).toEqual(expected);
    expect(model.optimizer).toEqual({ lr: 0.1, totalSteps: 6 });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6].map((s) => [s, 6]));
    expect(out).toEqual({ steps: 6, totalSteps: 6, stopped: false, metrics: { loss: 15 / 3, size: 5 / 3 } });
    expect(minibatchSteps(5, { epochs: 2, batchSize: 2 })).toBe(6);
  });

  it('stops before the next step when asked, and lets an onStep error through', async () => {
    const model = new SumModel();
    const stopped = await trainMinibatches(model, examples, { epochs: 1, batchSize: 1 }, () => ({ lr: 1 }), Rng.fromSeed(1), lossFor, {
      shouldStop: () => model.batches.length === 2,
    });
    expect(stopped).toEqual({ steps: 2, totalSteps: 5, metrics: {}, stopped: true });
    const bad = new ApogeeError(ERROR_CODES.NON_FINITE, 'loss NaN');
    await expect(
      trainMinibatches(new SumModel(), examples, { epochs: 1, batchSize: 1 }, () => ({ lr: 1 }), Rng.fromSeed(1), lossFor, {
        onStep: async () => Promise.reject(bad),
      }),
    ).rejects.toBe(bad);
  });

  it('scheduledOptimizer caps warm-up at the total and leaves weightDecay out when the trainer has none', () => {
    const withDecay = scheduledOptimizer({ lr: 1e-3, warmupSteps: 100, schedule: 'linear', weightDecay: 0.1, gradClip: 1 }, 6);
    expect(withDecay).toEqual({ lr: 1e-3, warmupSteps: 6, totalSteps: 6, schedule: 'linear', weightDecay: 0.1, gradClip: 1 });
    expect(Object.keys(withDecay)).toEqual(['lr', 'warmupSteps', 'totalSteps', 'schedule', 'weightDecay', 'gradClip']);
    const without = scheduledOptimizer({ lr: 1e-3, warmupSteps: 2, schedule: 'constant', gradClip: 0 }, 6);
    expect(Object.keys(without)).toEqual(['lr', 'warmupSteps', 'totalSteps', 'schedule', 'gradClip']);
    expect(without.warmupSteps).toBe(2);
  });
});
