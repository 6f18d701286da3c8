#!/usr/bin/env python3
"""PyTorch reference for apogee's benchmark (bench/run.ts runs it in the same run).

Mirrors what the TypeScript side times:
  gemm     C = A @ B, 1024x1024x1024, float32
  generate greedy decoding with a KV cache: --batch prompts of --prompt tokens, --new tokens each
  dpo      one DPO step (Rafailov et al. 2023, eq. 7, beta 0.1): --batch pairs of --prompt-token rows
           (first half prompt, second half response; the last token EOS), log-probs of the response
           tokens under a frozen reference copy (no grad) and under the policy, sigmoid loss,
           backward, global-norm clipping at 1.0, AdamW (lr 1e-4, weight decay 0.01 on rank>=2)
  gpt      one training step of a GPT-2 (pre-LayerNorm, tanh GELU, learned positions, tied
           embeddings), next-token cross-entropy on fixed tokens, AdamW (lr 3e-4, betas 0.9/0.999,
           eps 1e-8, weight decay 0.01 on rank>=2 weights) with global-norm clipping at 1.0, the
           loss and the gradient norm read back every step (as @apogee/policy's trainStep does).
  plain-gpt the same GPT trained as a plain tfjs program does (runtime/src/bench/plain-gpt.ts):
           cross-entropy, torch.optim.Adam (lr 3e-4, betas 0.9/0.999, eps 1e-8), no clipping, the
           loss read back every step.
  layers-fit one epoch of a 64-256-256-10 ReLU MLP (softmax cross-entropy, Adam lr 1e-3) over 1024
           samples in batches of 128, the loss read back every batch (tfjs-layers' model.fit).

Usage: torch_bench.py CASE [--threads N] [--warmup W] [--iters N] [--layers L --d D --heads H
       --time T --batch B --vocab V]
Prints one JSON object: {"case", "ms": [wall ms per iteration], "cpuMs": [process CPU ms per
iteration], "threads", "torch"}.
The thread count applies to PyTorch's intra-op pool and to OpenBLAS (set OPENBLAS_NUM_THREADS
before Python starts; the caller does).
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x, bias, past=None):
        B, T, d = x.shape
        hd = d // self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q = q.view(B, T, self.heads, hd).transpose(1, 2)
        k = k.view(B, T, self.heads, hd).transpose(1, 2)
        v = v.view(B, T, self.heads, hd).transpose(1, 2)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        att = (q * (1.0 / math.sqrt(hd))) @ k.transpose(-2, -1) + bias
        y = F.softmax(att, dim=-1) @ v
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, d))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")), (k, v)


class Gpt(nn.Module):
    def __init__(self, layers, d, heads, time_, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(time_, d)
        self.h = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        mask = torch.full((time_, time_), -1e9).triu(1)
        self.register_buffer("bias", mask.view(1, 1, time_, time_))
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids, past=None):
        B, T = ids.shape
        start = 0 if past is None else past[0][0].shape[2]
        x = self.wte(ids) + self.wpe.weight[start:start + T]
        bias = self.bias[:, :, start:start + T, :start + T]
        kv = []
        for i, block in enumerate(self.h):
            x, layer_kv = block(x, bias, None if past is None else past[i])
            kv.append(layer_kv)
        return self.ln_f(x) @ self.wte.weight.t(), kv


def adamw(model, lr):
    """AdamW as @apogee/policy's: betas 0.9/0.999, eps 1e-8, weight decay 0.01 on rank>=2 weights only."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr, betas=(0.9, 0.999), eps=1e-8,
    )


def optimizer_step(opt, model, loss):
    """Backward, global-norm clipping at 1.0, loss and norm read back (as trainStep does), update."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    loss.item(), norm.item()
    opt.step()


def timed(fn, warmup, iters):
    """Wall-clock and process CPU milliseconds of each timed iteration."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(iters):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000.0)
        cpu.append((time.process_time() - c) * 1000.0)
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["gemm", "gpt", "plain-gpt", "layers-fit", "generate", "dpo"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    for name, default in [("layers", 2), ("d", 128), ("heads", 4), ("time", 64), ("batch", 16), ("vocab", 256), ("size", 1024),
                          ("prompt", 17), ("new", 64)]:
        ap.add_argument(f"--{name}", type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)

    if a.case == "gemm":
        n = a.size
        A = torch.randn(n, n)
        B = torch.randn(n, n)
        ms, cpu = timed(lambda: A @ B, a.warmup, a.iters)
    elif a.case == "generate":
        # Greedy decoding with a KV cache: prefill the prompts, then one token per step.
        model = Gpt(a.layers, a.d, a.heads, a.time, a.vocab).eval()
        i = torch.arange(a.batch * a.prompt)
        prompts = ((i * 7919) % 256).view(a.batch, a.prompt)

        @torch.no_grad()
        def generate():
            logits, past = model(prompts)
            token = logits[:, -1].argmax(-1, keepdim=True)
            for _ in range(a.new - 1):
                logits, past = model(token, past)
                token = logits[:, -1].argmax(-1, keepdim=True)

        ms, cpu = timed(generate, a.warmup, a.iters)
    elif a.case == "dpo":
        model = Gpt(a.layers, a.d, a.heads, a.time, a.vocab)
        reference = Gpt(a.layers, a.d, a.heads, a.time, a.vocab)
        reference.load_state_dict(model.state_dict())
        reference.requires_grad_(False)
        opt = adamw(model, 1e-4)
        pairs, T = a.batch, a.prompt
        i = torch.arange(2 * pairs * T)
        ids = ((i * 7919 + (i >> 3)) % 256).view(2 * pairs, T)
        mask = torch.zeros(2 * pairs, T - 1)
        mask[:, T // 2 - 1:] = 1.0  # targets ids[:, T//2:]: the response and its EOS

        def response_logp(m):
            logits, _ = m(ids[:, :-1])
            lp = logits.log_softmax(-1).gather(2, ids[:, 1:, None])[..., 0]
            return (lp * mask).sum(-1)

        def step():
            with torch.no_grad():
                ref = response_logp(reference)
            lp = response_logp(model)
            margin = (lp[:pairs] - ref[:pairs]) - (lp[pairs:] - ref[pairs:])
            optimizer_step(opt, model, F.softplus(-0.1 * margin).mean())

        ms, cpu = timed(step, a.warmup, a.iters)
    elif a.case == "layers-fit":
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
        n = 1024
        x = torch.randn(n, 64)
        y = (torch.arange(n) * 7919) % 10

        def epoch():
            for s in range(0, n, 128):
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x[s:s + 128]), y[s:s + 128])
                loss.backward()
                opt.step()
                loss.item()

        ms, cpu = timed(epoch, a.warmup, a.iters)
    elif a.case == "plain-gpt":
        model = Gpt(a.layers, a.d, a.heads, a.time, a.vocab)
        opt = torch.optim.Adam(model.parameters(), lr=3e-4, betas=(0.9, 0.999), eps=1e-8)
        i = torch.arange(a.batch * (a.time + 1))
        tokens = ((i * 7919 + (i >> 3)) % a.vocab).view(a.batch, a.time + 1)
        ids, targets = tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()

        def step():
            opt.zero_grad(set_to_none=True)
            logits, _ = model(ids)
            loss = F.cross_entropy(logits.view(-1, a.vocab), targets.view(-1))
            loss.backward()
            opt.step()
            loss.item()

        ms, cpu = timed(step, a.warmup, a.iters)
    else:
        model = Gpt(a.layers, a.d, a.heads, a.time, a.vocab)
        opt = adamw(model, 3e-4)
        i = torch.arange(a.batch * (a.time + 1))
        tokens = ((i * 7919 + (i >> 3)) % a.vocab).view(a.batch, a.time + 1)
        ids, targets = tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()

        def step():
            logits, _ = model(ids)
            optimizer_step(opt, model, F.cross_entropy(logits.view(-1, a.vocab), targets.view(-1)))

        ms, cpu = timed(step, a.warmup, a.iters)
    json.dump({"case": a.case, "ms": ms, "cpuMs": cpu, "threads": torch.get_num_threads(), "torch": torch.__version__}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
