#!/usr/bin/env python3
"""PyTorch side of bench/llama.ts: the same SmolLM2-135M-shaped Llama (random weights), written from
the architecture as tools/llama-parity/reference.py but in float32 with batched heads, timed for
(a) a LoRA r=16 training step (q/k/v/o adapters, AdamW on the adapters only) at T=256, batch 4 and
(b) KV-cache greedy generation of 64 tokens for 8 prompts. Prints one JSON line of seconds (wall and
CPU); `parts` in the argument picks which of the two run.

    /usr/bin/python3 bench/reference/llama_bench.py '{"threads": 1, "iters": 2, ...shape}'
"""
import json
import math
import sys
import time

import torch

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg['threads'])
torch.manual_seed(0)
d, H, Hkv, hd, I, V, L = (cfg[k] for k in ('d', 'heads', 'kvHeads', 'headDim', 'inter', 'vocab', 'layers'))
theta, eps, r = cfg['ropeTheta'], 1e-5, cfg['r']


def lin(o, i):
    return (torch.randn(o, i) * 0.02).requires_grad_(False)


emb = lin(V, d)
layers = [dict(q=lin(H * hd, d), k=lin(Hkv * hd, d), v=lin(Hkv * hd, d), o=lin(d, H * hd),
               g=lin(I, d), u=lin(I, d), dn=lin(d, I), n1=torch.ones(d), n2=torch.ones(d)) for _ in range(L)]
norm = torch.ones(d)
lora = {}
for i in range(L):
    for m in ('q', 'k', 'v', 'o'):
        o, inp = layers[i][m].shape
        lora[(i, m)] = (torch.empty(r, inp).uniform_(-1 / math.sqrt(inp), 1 / math.sqrt(inp)).requires_grad_(),
                        torch.zeros(o, r).requires_grad_())
scale = 2.0
mask = torch.ones(cfg['T'] + 1, cfg['T'] + 1, dtype=torch.bool).triu(1)
inv = 1.0 / theta ** (torch.arange(0, hd, 2).float() / hd)


def rms(x, g):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


def rope(x, pos):  # x [B, h, T, hd]
    ang = pos[:, None, :, None].float() * inv
    c, s = ang.cos(), ang.sin()
    x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], -1)


def proj(i, m, x, use_lora):
    y = x @ layers[i][m].T
    if use_lora and (i, m) in lora:
        a, b = lora[(i, m)]
        y = y + (x @ a.T) @ b.T * scale
    return y


def forward(ids, pos, cache=None, use_lora=True):
    B, T = ids.shape
    x = emb[ids]
    new = []
    for i in range(L):
        a = rms(x, layers[i]['n1'])
        q = rope(proj(i, 'q', a, use_lora).view(B, T, H, hd).transpose(1, 2), pos)
        k = rope(proj(i, 'k', a, use_lora).view(B, T, Hkv, hd).transpose(1, 2), pos)
        v = proj(i, 'v', a, use_lora).view(B, T, Hkv, hd).transpose(1, 2)
        if cache is not None:
            k = torch.cat([cache[i][0], k], 2)
            v = torch.cat([cache[i][1], v], 2)
        new.append((k, v))
        kr = k.repeat_interleave(H // Hkv, 1)
        vr = v.repeat_interleave(H // Hkv, 1)
        # softmax(q·kᵀ/√hd + causal mask)·v (torch 1.13 has no scaled_dot_product_attention)
        att = (q @ kr.transpose(-2, -1)) / math.sqrt(hd)
        if cache is None and T > 1:
            att = att.masked_fill(mask[:T, :T], float('-inf'))
        y = att.softmax(-1) @ vr
        x = x + proj(i, 'o', y.transpose(1, 2).reshape(B, T, H * hd), use_lora)
        m = rms(x, layers[i]['n2'])
        g = m @ layers[i]['g'].T
        x = x + (torch.nn.functional.silu(g) * (m @ layers[i]['u'].T)) @ layers[i]['dn'].T
    return rms(x, norm) @ emb.T, new


def train_step(opt, ids):
    pos = torch.arange(ids.shape[1]).expand(ids.shape[0], -1)
    logits, _ = forward(ids[:, :-1], pos[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for ab in lora.values() for p in ab], 1.0)
    opt.step()


def generate(prompts, n):
    with torch.no_grad():
        B, T = prompts.shape
        pos = torch.arange(T).expand(B, -1)
        logits, cache = forward(prompts, pos, use_lora=False)
        tok = logits[:, -1].argmax(-1, keepdim=True)
        for t in range(n - 1):
            logits, cache = forward(tok, torch.full((B, 1), T + t), cache, use_lora=False)
            tok = logits[:, -1].argmax(-1, keepdim=True)


def timed(fn, iters):
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters, (time.process_time() - c0) / iters


parts = set(cfg.get('parts', ['train', 'generate']))
out = {'torch': torch.__version__}
if 'train' in parts:
    opt = torch.optim.AdamW([p for ab in lora.values() for p in ab], lr=1e-4)
    ids = torch.randint(0, V, (cfg['batch'], cfg['T'] + 1))
    train_step(opt, ids)  # warm-up
    out['trainStepS'], out['trainStepCpuS'] = timed(lambda: train_step(opt, ids), cfg['iters'])
if 'generate' in parts:
    prompts = torch.randint(0, V, (cfg['prompts'], cfg['promptLength']))
    generate(prompts, cfg['newTokens'])  # warm-up, as bench/llama.ts
    out['generateS'], out['generateCpuS'] = timed(lambda: generate(prompts, cfg['newTokens']), cfg['iters'])
print(json.dumps(out))
