# PyTorch reference for tools/policy-bench/dpo-step.ts: one DPO step (reference forward, policy forward/backward, clipping, AdamW), one thread.
import math, time, sys, torch
torch.set_num_threads(1)
V, C, L, H, D = 260, 256, 2, 4, 128
hd = D // H
F = torch.nn.functional
g = torch.Generator().manual_seed(0)
class GPT(torch.nn.Module):
    def __init__(s):
        super().__init__()
        P = torch.nn.Parameter
        r = lambda *sh: P(torch.randn(*sh, generator=g) * 0.02)
        s.wte, s.wpe = r(V, D), r(C, D)
        s.blocks = torch.nn.ModuleList()
        for _ in range(L):
            b = torch.nn.Module()
            b.ln1, b.ln2 = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)
            b.attn, b.proj, b.fc, b.fc2 = torch.nn.Linear(D, 3*D), torch.nn.Linear(D, D), torch.nn.Linear(D, 4*D), torch.nn.Linear(4*D, D)
            s.blocks.append(b)
        s.lnf = torch.nn.LayerNorm(D)
    def forward(s, ids):
        B, T = ids.shape
        x = s.wte[ids] + s.wpe[:T]
        for b in s.blocks:
            q, k, v = b.attn(b.ln1(x)).split(D, -1)
            q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
            att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float('-inf')).softmax(-1)
            x = x + b.proj((att @ v).transpose(1, 2).reshape(B, T, D))
            x = x + b.fc2(F.gelu(b.fc(b.ln2(x)), approximate='tanh'))
        return s.lnf(x) @ s.wte.T
def seq_logp(model, ids, mask):
    logits = model(ids[:, :-1])
    lp = logits.log_softmax(-1).gather(2, ids[:, 1:, None])[..., 0]
    return (lp * mask[:, 1:]).sum(-1)
pairs, T = int(sys.argv[2]) if len(sys.argv) > 2 else 16, int(sys.argv[3]) if len(sys.argv) > 3 else 64
policy = GPT(); ref = GPT(); ref.load_state_dict(policy.state_dict())
opt = torch.optim.AdamW(policy.parameters(), lr=1e-4)
ids = torch.randint(0, 256, (2 * pairs, T), generator=g)
mask = torch.zeros(2 * pairs, T); mask[:, T // 2:] = 1
def step():
    with torch.no_grad(): r = seq_logp(ref, ids, mask)
    p = seq_logp(policy, ids, mask)
    d = (p[:pairs] - r[:pairs]) - (p[pairs:] - r[pairs:])
    loss = F.softplus(-0.1 * d).mean()
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0); opt.step()
for _ in range(2): step()
bw = bc = 1e9
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
    w, c = time.perf_counter(), time.process_time(); step()
    bw, bc = min(bw, time.perf_counter() - w), min(bc, time.process_time() - c)
print(f'{bw*1000:.2f} {bc*1000:.2f}')
