import { memoryIo } from '../io';
import { runCli } from '../main';
import { BENCHMARK_CASES } from '@apogee/runtime';
import { DEFAULT_CASES } from './bench';

describe('bench and quickstart commands', () => {
  it('bench runs every case of the runtime benchmark by default', () => {
    expect(DEFAULT_CASES.split(',')).toEqual([...BENCHMARK_CASES]);
  });

  it('bench --json times GEMM on the runtime and prints the report as JSON', async () => {
    const io = memoryIo();
    expect(await runCli(['bench', '--json', '--cases', 'gemm', '--rounds', '1', '--iters', '1'], { io })).toBe(0);
    const report = JSON.parse(io.stdout);
    expect(report.results).toHaveLength(1);
    expect(report.results[0].case).toBe('gemm');
    expect(report.results[0].apogeeMs).toBeGreaterThan(0);
    expect(report.backend.name).toBe('apogee-cpu');
    // --no-blas: matrix products on the WebAssembly SIMD GEMM, as on a machine without a system BLAS.
    const noBlas = memoryIo();
    expect(await runCli(['bench', '--json', '--no-blas', '--cases', 'gemm', '--rounds', '1', '--iters', '1'], { io: noBlas })).toBe(0);
    const noBlasReport = JSON.parse(noBlas.stdout);
    expect(noBlasReport.backend.blas).toBeNull();
    expect(noBlasReport.results[0].description).toMatch(/WebAssembly SIMD GEMM/);
    const bad = memoryIo();
    expect(await runCli(['bench', '--cases', 'gemm,fft'], { io: bad })).toBe(2);
    expect(bad.stderr).toMatch(/Unknown benchmark case: fft\.\nAllowed: gemm, train-a, train-b, plain-a, plain-b, layers-fit, generate-a, dpo-a/);
  });

  it('quickstart rejects bad arguments before any work, naming what is allowed', async () => {
    const cases: Array<[string[], string]> = [
      [['--seed', '1', '--seeds', '1,2'], 'Give either --seed or --seeds, not both.'],
      [['--seeds', '1,x'], '--seeds must be a comma-separated list of integers, got "1,x".'],
      [['--variants', 'dpo,dpo-apoo'], 'Unknown quickstart variant: dpo-apoo.\nAllowed: oracle, golden-sft, rjs, rjs-apo, dpo, dpo-apo, rrhf, rrhf-apo.'],
      [['--preset', 'huge'], 'Unknown quickstart preset "huge".'],
      [['--backend', 'gpu'], '--backend must be one of auto, tensorflow, apogee-cpu, cpu; got "gpu".'],
      [['--apo-loss-coeff', '-1'], '--apo-loss-coeff must be a number ≥ 0, got "-1".'],
    ];
    for (const [args, message] of cases) {
      const io = memoryIo();
      expect(await runCli(['quickstart', ...args], { io })).toBe(2);
      expect(io.stderr).toContain(message);
      expect(io.stdout).toBe('');
    }
  });
});
