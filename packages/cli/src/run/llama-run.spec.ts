// `apogee run` with a Llama-family policy and reward model from a local Hugging Face directory
// (a tiny random checkpoint this test writes, as no model can be downloaded here), trained with LoRA.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { llamaConfig, LlamaPolicy } from '@apogee/policy';
import { ByteTokenizer } from '@apogee/tokenizers';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { tempDir } from '../testing/fixtures';

const VARIANTS = ['dpo-apo', 'rjs', 'rjs-apo', 'dpo', 'rrhf', 'rrhf-apo', 'golden-sft'] as const;

let t: ReturnType<typeof tempDir>;
let hub: string;
beforeAll(async () => {
  await initBackend({ logger: silentLogger });
  t = tempDir();
  hub = path.join(t.dir, 'tiny-llama');
  const base = LlamaPolicy.create(llamaConfig('llama-tiny', { nLayer: 1, nEmbd: 32, nHead: 4, nKvHead: 2, headDim: 8, intermediateSize: 64, blockSize: 96 }), new ByteTokenizer(), 7);
  await base.save(hub);
  base.dispose();
});
afterAll(() => t?.cleanup());

// Every variant plays on the same Llama policy (GQA, LoRA) and reward model from the local Hub directory.
it.each(VARIANTS)('plays %s with a Llama policy (GQA, LoRA) and a Llama reward model from a local Hub directory', async (variant) => {
  const config = `${variant}.yaml`;
  writeFileSync(
    path.join(t.dir, config),
    [
      'seed: 3',
      `outDir: run-${variant}`,
      'game: { rounds: 1, samplesPerQuery: 2, maxNewTokens: 8 }',
      'plugins:',
      '  - byte-tokenizer',
      `  - [hf-policy, { path: ${JSON.stringify(hub)}, lora: { r: 4, targetModules: [q_proj, v_proj, up_proj] } }]`,
      '  - gpt-reward',
      '  - sampler',
      '  - eval-sampler',
      '  - [world-data-source, { rmPrompts: 6, llmPrompts: 6, testPrompts: 4, sftDemos: 16 }]',
      '  - gold-judge',
      '  - [evaluator, { maxPrompts: 4 }]',
      `  - [${variant}, { game: { sftInit: { epochs: 1 }, rm: { batchSize: 6, warmupSteps: 0, lr: 0.001 } } }]`,
    ].join('\n'),
  );
  const io = memoryIo(t.dir, { CI: '1' });
  const code = await runCli(['run', '--config', config], { io });
  expect({ code, stderr: code === 0 ? '' : io.stderr }).toEqual({ code: 0, stderr: '' });
  expect(io.stdout).toMatch(/Finished 1 round/);
  const summary = JSON.parse(readFileSync(path.join(t.dir, `run-${variant}`, 'summary.json'), 'utf8'));
  expect(Number.isFinite(summary.variants[variant].goldReward.mean)).toBe(true);
  expect(existsSync(path.join(t.dir, `run-${variant}`, 'samples', variant, 'round-1.jsonl'))).toBe(true);
}, 600_000);
