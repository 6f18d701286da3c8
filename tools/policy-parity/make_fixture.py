#!/usr/bin/env python3
"""Regenerate packages/policy/fixtures/gpt2-parity: a small random GPT-2 and the logits and per-token
log-probs an independent PyTorch implementation computes for a few fixed token sequences.

Run with the system Python that has PyTorch (Debian's python3-torch 1.13), from the repo root:

    /usr/bin/python3 tools/policy-parity/make_fixture.py

The GPT-2 below is written from the paper's description (pre-LayerNorm blocks, tanh GELU,
learned positions, tied embeddings, Conv1D weights stored [in, out]); it shares no code with
apogee's TypeScript model or with Hugging Face transformers. safetensors is written by hand
(8-byte little-endian header length, JSON header, raw little-endian data).

Weights are rounded to float16 and stored as F16 (half the fixture size); the reference forward
pass runs in float64 on those exact values, so the only float32 rounding is apogee's own.
"""
import json
import math
import os
import shutil
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from safetensors_io import write_json, write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
OUT = os.path.join(ROOT, 'packages', 'policy', 'fixtures', 'gpt2-parity')
CFG = dict(vocab_size=260, n_positions=64, n_layer=2, n_head=4, n_embd=64, layer_norm_epsilon=1e-5)
# The README example's directory: a Hub-style GPT-2 (float32, no name prefix) with the tiny
# byte-level BPE tokenizer.json from packages/tokenizers/fixtures/tiny-gpt2 (vocab 336 + <|endoftext|>).
HF_OUT = os.path.join(ROOT, 'packages', 'policy', 'fixtures', 'tiny-gpt2-hf')
HF_TOKENIZER = os.path.join(ROOT, 'packages', 'tokenizers', 'fixtures', 'tiny-gpt2')
HF_CFG = dict(vocab_size=337, n_positions=64, n_layer=1, n_head=2, n_embd=32, layer_norm_epsilon=1e-5)
SEQUENCES = [
    [256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33],
    [10, 10, 72, 117, 109, 97, 110, 58, 32, 104, 105, 63, 10, 10, 65, 115, 115, 105, 115, 116, 97, 110, 116, 58, 257],
    [int(x) for x in torch.randint(0, 260, (64,), generator=torch.Generator().manual_seed(7))],
]


def params(gen, cfg=CFG):
    d, L = cfg['n_embd'], cfg['n_layer']
    def rnd(*shape, std=0.02):
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * std
    p = {'wte.weight': rnd(cfg['vocab_size'], d, std=0.3), 'wpe.weight': rnd(cfg['n_positions'], d, std=0.1)}
    for i in range(L):
        h = f'h.{i}.'
        # Non-trivial LayerNorm gains/biases and projection biases so that every parameter is exercised.
        p[h + 'ln_1.weight'] = 1 + rnd(d, std=0.1)
        p[h + 'ln_1.bias'] = rnd(d, std=0.1)
        p[h + 'attn.c_attn.weight'] = rnd(d, 3 * d, std=0.15)
        p[h + 'attn.c_attn.bias'] = rnd(3 * d, std=0.1)
        p[h + 'attn.c_proj.weight'] = rnd(d, d, std=0.1)
        p[h + 'attn.c_proj.bias'] = rnd(d, std=0.05)
        p[h + 'ln_2.weight'] = 1 + rnd(d, std=0.1)
        p[h + 'ln_2.bias'] = rnd(d, std=0.1)
        p[h + 'mlp.c_fc.weight'] = rnd(d, 4 * d, std=0.15)
        p[h + 'mlp.c_fc.bias'] = rnd(4 * d, std=0.1)
        p[h + 'mlp.c_proj.weight'] = rnd(4 * d, d, std=0.08)
        p[h + 'mlp.c_proj.bias'] = rnd(d, std=0.05)
    p['ln_f.weight'] = 1 + rnd(d, std=0.1)
    p['ln_f.bias'] = rnd(d, std=0.1)
    # Round to what float16 can hold: the file stores F16, the reference uses exactly these values.
    return {k: v.half().double() for k, v in p.items()}


def layer_norm(x, g, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + CFG['layer_norm_epsilon']) * g + b


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(p, ids):
    T, d, H = len(ids), CFG['n_embd'], CFG['n_head']
    hd = d // H
    idx = torch.tensor(ids)
    x = p['wte.weight'][idx] + p['wpe.weight'][:T]
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(CFG['n_layer']):
        h = f'h.{i}.'
        a = layer_norm(x, p[h + 'ln_1.weight'], p[h + 'ln_1.bias'])
        qkv = a @ p[h + 'attn.c_attn.weight'] + p[h + 'attn.c_attn.bias']
        q, k, v = (qkv[:, j * d:(j + 1) * d].reshape(T, H, hd).transpose(0, 1) for j in range(3))
        att = (q @ k.transpose(1, 2)) / math.sqrt(hd)
        att = att.masked_fill(~allowed, float('-inf')).softmax(-1)
        y = (att @ v).transpose(0, 1).reshape(T, d)
        x = x + y @ p[h + 'attn.c_proj.weight'] + p[h + 'attn.c_proj.bias']
        m = layer_norm(x, p[h + 'ln_2.weight'], p[h + 'ln_2.bias'])
        x = x + gelu_tanh(m @ p[h + 'mlp.c_fc.weight'] + p[h + 'mlp.c_fc.bias']) @ p[h + 'mlp.c_proj.weight'] + p[h + 'mlp.c_proj.bias']
    x = layer_norm(x, p['ln_f.weight'], p['ln_f.bias'])
    return x @ p['wte.weight'].T  # tied output embedding


def f16(t):
    return ('F16', tuple(t.shape), t.half().contiguous().numpy().tobytes())


def f32(t):
    return ('F32', tuple(t.shape), t.float().contiguous().numpy().tobytes())


def i32(values):
    return ('I32', (len(values),), struct.pack(f'<{len(values)}i', *values))


def main():
    torch.manual_seed(0)
    p = params(torch.Generator().manual_seed(1234))
    os.makedirs(OUT, exist_ok=True)
    # Hugging Face GPT2LMHeadModel layout: "transformer." prefix plus the causal-mask buffers apogee must skip.
    weights = {f'transformer.{k}': f16(v) for k, v in p.items()}
    T = CFG['n_positions']
    for i in range(CFG['n_layer']):
        weights[f'transformer.h.{i}.attn.bias'] = f16(torch.tril(torch.ones(T, T)).view(1, 1, T, T))
    write_safetensors(os.path.join(OUT, 'model.safetensors'), weights, {'format': 'pt'})
    config = {'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'activation_function': 'gelu_new',
              'n_ctx': CFG['n_positions'], 'resid_pdrop': 0.1, 'embd_pdrop': 0.1, 'attn_pdrop': 0.1, **CFG}
    write_json(os.path.join(OUT, 'config.json'), config)
    write_json(os.path.join(OUT, 'tokenizer.json'), {'type': 'byte', 'version': 1}, indent=None)
    expected = {}
    for s, ids in enumerate(SEQUENCES):
        logits = forward(p, ids)
        logp = logits.log_softmax(-1)
        token_lp = logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]
        expected[f'ids.{s}'] = i32(ids)
        expected[f'logits.{s}'] = f32(logits)
        expected[f'logprobs.{s}'] = f32(token_lp)
    write_safetensors(os.path.join(OUT, 'expected.safetensors'), expected, {'sequences': str(len(SEQUENCES))})
    print('wrote', OUT, sorted(os.listdir(OUT)))

    os.makedirs(HF_OUT, exist_ok=True)
    hp = params(torch.Generator().manual_seed(99), HF_CFG)
    write_safetensors(os.path.join(HF_OUT, 'model.safetensors'), {k: f32(v) for k, v in hp.items()}, {'format': 'pt'})
    write_json(os.path.join(HF_OUT, 'config.json'), {'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'activation_function': 'gelu_new',
                                                     'n_ctx': HF_CFG['n_positions'], 'bos_token_id': 336, 'eos_token_id': 336, **HF_CFG})
    for name in ('tokenizer.json', 'tokenizer_config.json'):
        shutil.copyfile(os.path.join(HF_TOKENIZER, name), os.path.join(HF_OUT, name))
    print('wrote', HF_OUT, sorted(os.listdir(HF_OUT)))


if __name__ == '__main__':
    main()
