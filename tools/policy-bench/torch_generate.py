# PyTorch reference for tools/policy-bench/generate.ts: the same GPT-2 shape, KV-cache greedy decoding, one thread.
import math, time, sys, torch
torch.set_num_threads(1)
V, C, L, H, D = 260, 256, 2, 4, 128
hd = D // H
g = torch.Generator().manual_seed(0)
def r(*s): return torch.randn(*s, generator=g) * 0.02
P = {'wte': r(V, D), 'wpe': r(C, D), 'lnf': (torch.ones(D), torch.zeros(D))}
blocks = [dict(ln1=(torch.ones(D), torch.zeros(D)), attn_w=r(D, 3*D), attn_b=torch.zeros(3*D), proj_w=r(D, D), proj_b=torch.zeros(D),
               ln2=(torch.ones(D), torch.zeros(D)), fc_w=r(D, 4*D), fc_b=torch.zeros(4*D), fc2_w=r(4*D, D), fc2_b=torch.zeros(D)) for _ in range(L)]
F = torch.nn.functional
def step(ids, pos, cache, mask):
    B, T = ids.shape
    x = P['wte'][ids] + P['wpe'][pos]
    new = []
    for i, b in enumerate(blocks):
        a = F.layer_norm(x, (D,), *b['ln1'])
        q, k, v = (a @ b['attn_w'] + b['attn_b']).split(D, -1)
        q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            k = torch.cat([cache[i][0], k], 2); v = torch.cat([cache[i][1], v], 2)
        new.append((k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + y @ b['proj_w'] + b['proj_b']
        m = F.layer_norm(x, (D,), *b['ln2'])
        x = x + F.gelu(m @ b['fc_w'] + b['fc_b'], approximate='tanh') @ b['fc2_w'] + b['fc2_b']
    x = F.layer_norm(x[:, -1], (D,), *P['lnf'])
    return x @ P['wte'].T, new
@torch.no_grad()
def generate(B=64, Tp=16, N=64):
    ids = torch.randint(0, 256, (B, Tp), generator=g)
    pos = torch.arange(Tp).expand(B, Tp)
    causal = torch.full((Tp, Tp), -1e9).triu(1)
    logits, cache = step(ids, pos, None, causal)
    for s in range(N):
        lp = logits.log_softmax(-1)
        logits[:, 257] = -1e30
        tok = logits.argmax(-1)
        _ = lp.gather(1, tok[:, None])
        if s == N - 1: break
        logits, cache = step(tok[:, None], torch.full((B, 1), Tp + s), cache, torch.zeros(1, 1, 1, Tp + s + 1))
    return B * N
generate(8, 16, 4)
best_w, best_c = 1e9, 1e9
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 2):
    w, c = time.perf_counter(), time.process_time(); n = generate()
    best_w, best_c = min(best_w, time.perf_counter() - w), min(best_c, time.process_time() - c)
print(f'{n} {best_w:.4f} {best_c:.4f}')
