import * as path from 'node:path';
import type { Command } from 'commander';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { displayPath, type CommandContext } from '../context';
import { examples } from './examples';

function num(name: string, check: (n: number) => boolean, what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || !check(n)) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${name} must be ${what}, got "${v}".`);
    return n;
  };
}
const positiveInt = (name: string) => num(name, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1');
const seedArg = num('--seed', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer from 0 to 4294967295');
const positive = (name: string) => num(name, (n) => n > 0, 'a positive number');

function lazy(): typeof import('../models/model-commands') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../models/model-commands') as typeof import('../models/model-commands');
}

export function registerModelCommands(program: Command, ctx: CommandContext): void {
  program
    .command('train-rm')
    .description('train a reward model on preference pairs and evaluate it (accuracy, ECE/ACE/MCE) on held-out pairs')
    .requiredOption('--train <file>', 'preference pairs to train on (HH-RLHF, text/scores, TRL, … any format @apogee/data reads)')
    .requiredOption('--eval <file>', 'held-out preference pairs to evaluate on')
    .requiredOption('-o, --out <dir>', 'where the model, summary.json, metrics and report.html go')
    .option('--base <dir>', 'start from this policy checkpoint (its backbone, a fresh scalar head); default: a fresh tiny GPT on bytes')
    .option('--preset <name>', 'GPT shape of a fresh model (@apogee/policy GPT_PRESETS)', 'tiny')
    .option('--block-size <n>', 'context length of a fresh model (tokens)', positiveInt('--block-size'), 256)
    .option('--epochs <n>', 'passes over the training pairs', positiveInt('--epochs'), 1)
    .option('--batch-size <n>', 'pairs per optimizer step', positiveInt('--batch-size'), 16)
    .option('--lr <x>', 'peak learning rate (AdamW, linear decay)', positive('--lr'), 1e-3)
    .option('--max-pairs <n>', 'use at most this many training pairs (a quick look)', positiveInt('--max-pairs'))
    .option('--max-eval <n>', 'evaluate on at most this many held-out items', positiveInt('--max-eval'))
    .option('--seed <n>', 'seed of the head, shuffling and a fresh model', seedArg, 1)
    .option('--no-report', 'do not write report.html')
    .addHelpText(
      'after',
      `${examples(
        'apogee train-rm --train helpful.test.json --eval heldout.jsonl --out runs/rm',
        'apogee train-rm --train pairs.jsonl --eval heldout.jsonl --out runs/rm --base runs/sft-policy --epochs 2',
      )}
Writes DIR/model/ (load it with \`apogee eval-rm --model DIR/model\`), DIR/summary.json with accuracy, ece, ace, mce and pairs, metrics.jsonl/csv and report.html.
`,
    )
    .action(async (opts) => {
      const r = await lazy().trainRm({ ...opts, train: path.resolve(ctx.io.cwd, opts.train), eval: path.resolve(ctx.io.cwd, opts.eval), out: path.resolve(ctx.io.cwd, opts.out), base: opts.base && path.resolve(ctx.io.cwd, opts.base) }, ctx);
      ctx.io.out(
        `accuracy ${r.summary.accuracy.toFixed(3)}, ECE ${r.summary.ece.toFixed(3)}, ACE ${r.summary.ace.toFixed(3)}, MCE ${r.summary.mce.toFixed(3)} on ${r.summary.pairs} held-out pairs\n` +
          `Model: ${displayPath(ctx.io.cwd, r.modelDir)}\n${r.reportFile ? `Report: ${displayPath(ctx.io.cwd, r.reportFile)}\n` : ''}`,
      );
    });

  program
    .command('eval-rm')
    .description('evaluate a reward model on preference pairs: accuracy and calibration (ECE/ACE/MCE)')
    .requiredOption('--model <dir>', 'a reward model directory (train-rm writes DIR/model)')
    .requiredOption('--data <file>', 'preference pairs in any format @apogee/data reads')
    .option('--json', 'print JSON (with the reliability bins)')
    .option('--max-pairs <n>', 'evaluate at most this many items', positiveInt('--max-pairs'))
    .addHelpText('after', examples('apogee eval-rm --model runs/rm/model --data heldout.jsonl', 'apogee eval-rm --model runs/rm/model --data harmless-base.test.jsonl.gz --json'))
    .action(async (opts: { model: string; data: string; json?: boolean; maxPairs?: number }) => {
      const e = await lazy().evalRm({ model: path.resolve(ctx.io.cwd, opts.model), data: path.resolve(ctx.io.cwd, opts.data), maxPairs: opts.maxPairs }, ctx);
      if (opts.json) ctx.io.out(`${JSON.stringify(e, null, 2)}\n`);
      else ctx.io.out(`accuracy ${e.accuracy.toFixed(3)}, ECE ${e.ece.toFixed(3)}, ACE ${e.ace.toFixed(3)}, MCE ${e.mce.toFixed(3)} on ${e.pairs} pairs (${e.items} items)\n`);
    });

  program
    .command('sample')
    .description('generate responses from a policy checkpoint for the prompts in a file (JSON Lines out)')
    .requiredOption('--model <dir>', 'a policy directory (config.json, model.safetensors, tokenizer.json)')
    .requiredOption('--prompts <file>', 'prompts: JSONL/JSON with "prompt"/"query" fields, or plain text, one per line')
    .option('-n, --num <n>', 'samples per prompt', positiveInt('-n'), 4)
    .option('--preset <name>', 'sampling settings: training (temperature 1.2) or test (temperature 0.3, top-k 5, top-p 0.85)', 'training')
    .option('--temperature <x>', 'override the preset temperature', positive('--temperature'))
    .option('--max-new-tokens <n>', 'new-token limit per sample', positiveInt('--max-new-tokens'), 128)
    .option('--seed <n>', 'sampling seed (same seed, same samples)', seedArg, 1)
    .option('-o, --out <file>', 'write the samples file (reference format: query_id, query, sample_0…) instead of stdout')
    .option('--chat-template <file>', "format prompts with this tokenizer_config.json's chat_template (default: the model directory's, when it has one)")
    .option('--no-chat-template', 'send prompts as they are, even when the model has a chat template')
    .addHelpText('after', examples('apogee sample --model runs/latest/checkpoints/round-3/policy --prompts prompts.txt -n 4', 'apogee sample --model DIR --prompts prompts.jsonl --preset test -n 1 --out samples.jsonl'))
    .action(async (opts: { model: string; prompts: string; num: number; preset: string; temperature?: number; maxNewTokens: number; seed: number; out?: string; chatTemplate?: string | boolean }) => {
      const chatTemplate = typeof opts.chatTemplate === 'string' ? path.resolve(ctx.io.cwd, opts.chatTemplate) : opts.chatTemplate === false ? false : undefined;
      await lazy().sample({ ...opts, chatTemplate, model: path.resolve(ctx.io.cwd, opts.model), prompts: path.resolve(ctx.io.cwd, opts.prompts), out: opts.out && path.resolve(ctx.io.cwd, opts.out) }, ctx);
    });
}
