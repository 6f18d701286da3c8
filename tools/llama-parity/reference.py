"""An independent Llama-family decoder in PyTorch (float64), written from the published architecture
(Touvron et al. 2023 "LLaMA" §2; Llama 3.1's RoPE scaling; Qwen2's q/k/v biases), sharing no code
with apogee's TypeScript model or with Hugging Face transformers:

- RMSNorm: x / sqrt(mean(x^2) + eps) * g
- rotary embeddings on q and k, dimension i paired with i + head_dim/2 ("rotate half", the layout of
  Hugging Face checkpoints), frequencies theta^(-2i/head_dim) with linear or llama3 scaling
- grouped-query attention: key/value head j serves query heads j*g .. (j+1)*g - 1
- SwiGLU MLP: down(silu(gate(x)) * up(x))
- nn.Linear weights stored [out, in]; output tied to the embedding or a separate lm_head

Only the standard library and PyTorch; safetensors parsed and written by hand (tools/safetensors_io.py).
"""
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402,F401 (write_safetensors: for make_fixtures.py)

DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'F64': torch.float64}
BYTES = {'F32': 4, 'F16': 2, 'BF16': 2, 'F64': 8, 'I32': 4}


def frequencies(cfg):
    hd = cfg.get('head_dim') or cfg['hidden_size'] // cfg['num_attention_heads']
    theta = cfg.get('rope_theta', 10000.0)
    out = []
    s = cfg.get('rope_scaling')
    for i in range(hd // 2):
        f = 1.0 / theta ** (2 * i / hd)
        if s and (s.get('rope_type') or s.get('type')) == 'linear':
            f /= s['factor']
        elif s and (s.get('rope_type') or s.get('type')) == 'llama3':
            old = s['original_max_position_embeddings']
            wl = 2 * math.pi / f
            if wl > old / s['low_freq_factor']:
                f = f / s['factor']
            elif wl >= old / s['high_freq_factor']:
                smooth = (old / wl - s['low_freq_factor']) / (s['high_freq_factor'] - s['low_freq_factor'])
                f = (1 - smooth) * f / s['factor'] + smooth * f
        out.append(f)
    return torch.tensor(out, dtype=torch.float64)


def rms_norm(x, g, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * g


def rotate(x, pos, freqs):
    """x: [T, heads, hd]; pos: [T]."""
    ang = pos.double()[:, None] * freqs[None, :]
    cos, sin = ang.cos()[:, None, :], ang.sin()[:, None, :]
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


def linear(p, name, x):
    y = x @ p[name + '.weight'].T
    if name + '.bias' in p:
        y = y + p[name + '.bias']
    return y


def forward(p, cfg, ids, positions=None):
    """Logits [T, vocab] of one unpadded sequence."""
    x = hidden(p, cfg, ids, positions)
    head = p['model.embed_tokens.weight'] if cfg.get('tie_word_embeddings', False) else p['lm_head.weight']
    return x @ head.T


def score(p, cfg, ids):
    """A sequence-classification reward: the last token's final hidden state times score.weight."""
    return float(hidden(p, cfg, ids)[-1] @ p['score.weight'][0])


def hidden(p, cfg, ids, positions=None):
    """Final (normed) hidden states [T, d] of one unpadded sequence."""
    T = len(ids)
    H, Hkv = cfg['num_attention_heads'], cfg.get('num_key_value_heads', cfg['num_attention_heads'])
    hd = cfg.get('head_dim') or cfg['hidden_size'] // H
    eps = cfg['rms_norm_eps']
    freqs = frequencies(cfg)
    pos = torch.arange(T) if positions is None else torch.tensor(positions)
    x = p['model.embed_tokens.weight'][torch.tensor(ids)]
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(cfg['num_hidden_layers']):
        pre = f'model.layers.{i}.'
        a = rms_norm(x, p[pre + 'input_layernorm.weight'], eps)
        q = rotate(linear(p, pre + 'self_attn.q_proj', a).reshape(T, H, hd), pos, freqs)
        k = rotate(linear(p, pre + 'self_attn.k_proj', a).reshape(T, Hkv, hd), pos, freqs)
        v = linear(p, pre + 'self_attn.v_proj', a).reshape(T, Hkv, hd)
        heads = []
        for h in range(H):
            j = h // (H // Hkv)
            s = (q[:, h] @ k[:, j].T) / math.sqrt(hd)
            s = s.masked_fill(~allowed, float('-inf')).softmax(-1)
            heads.append(s @ v[:, j])
        x = x + linear(p, pre + 'self_attn.o_proj', torch.cat(heads, -1))
        m = rms_norm(x, p[pre + 'post_attention_layernorm.weight'], eps)
        g = linear(p, pre + 'mlp.gate_proj', m)
        x = x + linear(p, pre + 'mlp.down_proj', g * torch.sigmoid(g) * linear(p, pre + 'mlp.up_proj', m))
    return rms_norm(x, p['model.norm.weight'], eps)


def read_checkpoint(directory):
    """config.json plus every tensor of model.safetensors or of the shards named by model.safetensors.index.json."""
    with open(os.path.join(directory, 'config.json')) as f:
        cfg = json.load(f)
    index = os.path.join(directory, 'model.safetensors.index.json')
    p = {}
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)['weight_map'].values()))
        for name in files:
            p.update(read_safetensors(os.path.join(directory, name)))
    else:
        p = read_safetensors(os.path.join(directory, 'model.safetensors'))
    return cfg, p


def encode(t, dtype):
    t = t.to(DTYPES[dtype]).contiguous()
    if dtype == 'BF16':
        return (dtype, tuple(t.shape), t.view(torch.int16).numpy().tobytes())
    return (dtype, tuple(t.shape), t.numpy().tobytes())


def i32(values):
    return ('I32', (len(values),), struct.pack(f'<{len(values)}i', *values))
