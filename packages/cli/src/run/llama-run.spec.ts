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

it('plays DPO-APO with a Llama policy (GQA, LoRA) and a Llama reward model from a local Hub directory', async () => {
  await initBackend({ logger: silentLogger });
  const t = tempDir();
  try {
    const hub = path.join(t.dir, 'tiny-llama');
    const base = LlamaPolicy.create(llamaConfig('llama-tiny', { nLayer: 1, nEmbd: 32, nHead: 4, nKvHead: 2, headDim: 8, intermediateSize: 64, blockSize: 96 }), new ByteTokenizer(), 7);
    await base.save(hub);
    base.dispose();
    writeFileSync(
      path.join(t.dir, 'c.yaml'),
      [
        'seed: 3',
        'outDir: run',
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
        '  - [dpo-apo, { game: { sftInit: { epochs: 1 }, rm: { batchSize: 6, warmupSteps: 0, lr: 0.001 } } }]',
      ].join('\n'),
    );
    const io = memoryIo(t.dir, { CI: '1' });
    const code = await runCli(['run', '--config', 'c.yaml'], { io });
    expect({ code, stderr: code === 0 ? '' : io.stderr }).toEqual({ code: 0, stderr: '' });
    expect(io.stdout).toMatch(/Finished 1 round/);
    const summary = JSON.parse(readFileSync(path.join(t.dir, 'run', 'summary.json'), 'utf8'));
    expect(Number.isFinite(summary.variants['dpo-apo'].goldReward.mean)).toBe(true);
    expect(existsSync(path.join(t.dir, 'run', 'samples', 'dpo-apo', 'round-1.jsonl'))).toBe(true);
  } finally {
    t.cleanup();
  }
}, 600_000);
