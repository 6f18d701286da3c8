import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, silentLogger, type Logger } from '@apogee/core';
import { initBackend, describeBackend } from './init-backend';
import { loadBlas } from './blas';
import { activeBlas } from './apogee-cpu-backend';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`), debug: () => undefined };
}

const blasHere = loadBlas().blas;
const savedEnv = { ...process.env };
afterEach(() => {
  for (const k of ['APOGEE_BACKEND', 'APOGEE_BLAS', 'APOGEE_BLAS_THREADS']) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

describe('initBackend', () => {
  it('auto: without tfjs-node picks apogee-cpu, says why not tensorflow, logs once, is idempotent', async () => {
    const logger = recordingLogger();
    const info = await initBackend({ logger });
    expect(info.name).toBe('apogee-cpu');
    expect(tf.getBackend()).toBe('apogee-cpu');
    expect(info.requested).toBe('auto');
    expect(info.reasons).toContain('@tensorflow/tfjs-node-gpu not installed');
    expect(info.reasons).toContain('@tensorflow/tfjs-node not installed');
    if (blasHere) {
      expect(info.blas).toBe(blasHere.library);
      expect(info.blasThreads).toBe(1);
    }
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/^apogee: tensor backend apogee-cpu \(/);
    expect(logger.lines[0]).toContain('tfjs-node not installed');
    const again = await initBackend({ logger });
    expect(again).toBe(info);
    expect(logger.lines).toHaveLength(1);
    // Gradients are registered (tfjs-core's CommonJS build has none).
    expect(tf.getGradient('BatchMatMul')).toBeDefined();
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2]));
    expect(Array.from(g.dataSync())).toEqual([2, 4]);
  });

  it('re-selects when the active backend was switched behind its back', async () => {
    const first = await initBackend({ logger: silentLogger });
    await tf.setBackend('cpu');
    const second = await initBackend({ logger: silentLogger });
    expect(second).not.toBe(first);
    expect(tf.getBackend()).toBe(second.name);
  });

  it('no CBLAS: apogee-cpu still runs (JS matmul) and says how to get the fast path', async () => {
    const logger = recordingLogger();
    const info = await initBackend({ blasLibrary: 'none', logger });
    expect(info.name).toBe('apogee-cpu');
    expect(info.blas).toBeNull();
    expect(activeBlas()).toBeNull();
    expect(info.reasons.join('\n')).toMatch(/no CBLAS library found .*install libopenblas0/);
    expect(logger.lines[0]).toContain('no BLAS');
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(y.dataSync())).toEqual([11]);
  });

  it('a configured library that does not load is named in the reasons', async () => {
    const info = await initBackend({ blasLibrary: '/nonexistent/libnoblas.so', logger: silentLogger });
    expect(info.name).toBe('apogee-cpu');
    expect(info.blas).toBeNull();
    expect(info.reasons.join('\n')).toContain('/nonexistent/libnoblas.so');
  });

  it('APOGEE_BLAS=none turns BLAS off; the option wins over the environment', async () => {
    process.env.APOGEE_BLAS = 'none';
    expect((await initBackend({ logger: silentLogger })).blas).toBeNull();
    if (blasHere) {
      expect((await initBackend({ blasLibrary: blasHere.library, logger: silentLogger })).blas).toBe(blasHere.library);
    }
  });

  it('backend "cpu" and APOGEE_BACKEND force a backend; the option wins over the environment', async () => {
    const info = await initBackend({ backend: 'cpu', logger: silentLogger });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    process.env.APOGEE_BACKEND = 'cpu';
    expect((await initBackend({ logger: silentLogger })).name).toBe('cpu');
    expect((await initBackend({ backend: 'apogee-cpu', logger: silentLogger })).name).toBe('apogee-cpu');
    expect(tf.getBackend()).toBe('apogee-cpu');
  });

  it('BLAS thread count: default 1, option and APOGEE_BLAS_THREADS set it', async () => {
    if (!blasHere || blasHere.threads() === null) return; // no thread control in this BLAS
    expect((await initBackend({ blasThreads: 2, logger: silentLogger })).blasThreads).toBe(2);
    process.env.APOGEE_BLAS_THREADS = '2';
    expect((await initBackend({ backend: 'apogee-cpu', logger: silentLogger })).blasThreads).toBe(2);
    delete process.env.APOGEE_BLAS_THREADS;
    expect((await initBackend({ backend: 'apogee-cpu', logger: silentLogger })).blasThreads).toBe(1);
  });

  it('bad values are ApogeeErrors naming the option or variable and the allowed values', async () => {
    const codeOf = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        expect(e).toBeInstanceOf(ApogeeError);
        return [(e as ApogeeError).code, (e as Error).message];
      }
      throw new Error('expected an error');
    };
    const [c1, m1] = await codeOf(() => initBackend({ backend: 'gpu' as never }));
    expect(c1).toBe(ERROR_CODES.INVALID_ARGUMENT);
    expect(m1).toBe('option "backend" is "gpu"; allowed: auto | tensorflow | apogee-cpu | cpu.');
    process.env.APOGEE_BACKEND = 'fast';
    const [c2, m2] = await codeOf(() => initBackend());
    expect(c2).toBe(ERROR_CODES.INVALID_ARGUMENT);
    expect(m2).toContain('environment variable APOGEE_BACKEND is "fast"');
    delete process.env.APOGEE_BACKEND;
    const [c3, m3] = await codeOf(() => initBackend({ blasThreads: 0 }));
    expect(c3).toBe(ERROR_CODES.INVALID_ARGUMENT);
    expect(m3).toContain('option "blasThreads"');
    process.env.APOGEE_BLAS_THREADS = 'many';
    const [c4] = await codeOf(() => initBackend());
    expect(c4).toBe(ERROR_CODES.INVALID_ARGUMENT);
  });

  it('backend "tensorflow" when it is not installed is APOGEE_BACKEND_UNAVAILABLE with a hint', async () => {
    await expect(initBackend({ backend: 'tensorflow', logger: silentLogger })).rejects.toMatchObject({
      code: ERROR_CODES.BACKEND_UNAVAILABLE,
      hint: expect.stringContaining('@tensorflow/tfjs-node'),
    });
  });

  it('describeBackend reads as one line', () => {
    expect(describeBackend({ name: 'cpu', requested: 'cpu', reasons: [], blas: null, blasThreads: null, blasCore: null, blasCoreFallback: null, simd: false, tensorflowPackage: null })).toBe('apogee: tensor backend cpu');
  });
});
