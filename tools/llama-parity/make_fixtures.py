#!/usr/bin/env python3
"""Regenerate packages/policy/fixtures/llama-parity/*: small random Llama-family checkpoints in the
Hugging Face layout and the logits the independent PyTorch reference (reference.py, float64)
computes for fixed token sequences. Run from the repo root with the system Python that has PyTorch
(Debian's python3-torch):

    /usr/bin/python3 tools/llama-parity/make_fixtures.py

Cases (each a directory with config.json, generation_config.json, tokenizer.json, weights, expected.safetensors):
- gqa-untied-llama3: Llama, 4 query heads over 2 KV heads, separate lm_head, Llama 3.1 RoPE scaling,
  BF16 weights in two shards with model.safetensors.index.json and a stale rotary inv_freq buffer
- qwen2-tied: Qwen2, q/k/v biases, 4 query heads over 1 KV head, tied embeddings, F16 weights
- mha-tied-linear: Llama with attention_bias and mlp_bias, full multi-head attention, tied, linear RoPE scaling, F32

Weights are rounded to the stored dtype first; the reference then runs in float64 on those values.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402
from safetensors_io import write_json  # noqa: E402 (tools/, put on the path by reference.py)

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
OUT = os.path.join(ROOT, 'packages', 'policy', 'fixtures', 'llama-parity')
SEQUENCES = [
    [72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33],
    [10, 10, 72, 117, 109, 97, 110, 58, 32, 49, 43, 49, 61, 63, 10, 10, 65, 115, 115, 105, 115, 116, 97, 110, 116, 58, 32, 50],
    [256, 84, 104, 101, 32, 113, 117, 105, 99, 107, 32, 98, 114, 111, 119, 110, 32, 102, 111, 120, 32, 106, 117, 109, 112, 115, 32,
     111, 118, 101, 114, 32, 116, 104, 101, 32, 108, 97, 122, 121, 32, 100, 111, 103, 46],
]

BASE = dict(vocab_size=260, hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=64, hidden_act='silu', bos_token_id=256, eos_token_id=257)
CASES = {
    'gqa-untied-llama3': dict(
        config=dict(BASE, model_type='llama', architectures=['LlamaForCausalLM'], num_key_value_heads=2, head_dim=16,
                    rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                    rope_scaling=dict(rope_type='llama3', factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                      original_max_position_embeddings=16),
                    torch_dtype='bfloat16'),
        dtype='BF16', shards=2, inv_freq=True),
    'qwen2-tied': dict(
        config=dict(BASE, model_type='qwen2', architectures=['Qwen2ForCausalLM'], num_key_value_heads=1,
                    intermediate_size=160, rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                    use_sliding_window=False, sliding_window=64, torch_dtype='float16'),
        dtype='F16', shards=1, inv_freq=False),
    'mha-tied-linear': dict(
        config=dict(BASE, model_type='llama', architectures=['LlamaForCausalLM'], num_key_value_heads=4, rms_norm_eps=1e-5,
                    rope_theta=500000.0, tie_word_embeddings=True, attention_bias=True, mlp_bias=True,
                    rope_scaling=dict(type='linear', factor=2.0), torch_dtype='float32'),
        dtype='F32', shards=1, inv_freq=False),
}


def params(cfg, gen):
    d, H = cfg['hidden_size'], cfg['num_attention_heads']
    Hkv = cfg.get('num_key_value_heads', H)
    hd = cfg.get('head_dim') or d // H
    I = cfg['intermediate_size']
    qwen = cfg['model_type'] == 'qwen2'
    abias, mbias = cfg.get('attention_bias', False), cfg.get('mlp_bias', False)
    p = {}

    def normal(*shape, std=0.08):
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * std

    p['model.embed_tokens.weight'] = normal(cfg['vocab_size'], d, std=0.5)
    for i in range(cfg['num_hidden_layers']):
        pre = f'model.layers.{i}.'
        # Non-trivial norm gains so that a mix-up of the two norms shows.
        p[pre + 'input_layernorm.weight'] = 1 + normal(d, std=0.2)
        p[pre + 'post_attention_layernorm.weight'] = 1 + normal(d, std=0.2)
        for name, out, inp, bias in (('q_proj', H * hd, d, qwen or abias), ('k_proj', Hkv * hd, d, qwen or abias),
                                     ('v_proj', Hkv * hd, d, qwen or abias), ('o_proj', d, H * hd, abias)):
            p[pre + f'self_attn.{name}.weight'] = normal(out, inp, std=0.2)
            if bias:
                p[pre + f'self_attn.{name}.bias'] = normal(out, std=0.2)
        for name, out, inp in (('gate_proj', I, d), ('up_proj', I, d), ('down_proj', d, I)):
            p[pre + f'mlp.{name}.weight'] = normal(out, inp, std=0.15)
            if mbias:
                p[pre + f'mlp.{name}.bias'] = normal(out, std=0.1)
    p['model.norm.weight'] = 1 + normal(d, std=0.2)
    if not cfg.get('tie_word_embeddings', False):
        p['lm_head.weight'] = normal(cfg['vocab_size'], d, std=0.2)
    return p


def write_case(name, case, seed):
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    cfg = case['config']
    p = params(cfg, torch.Generator().manual_seed(seed))
    # Round to the stored dtype, then compute in float64 on exactly the stored values.
    p = {k: v.to(ref.DTYPES[case['dtype']]).double() for k, v in p.items()}
    stored = {k: ref.encode(v, case['dtype']) for k, v in p.items()}
    if case['inv_freq']:
        stored['model.layers.0.self_attn.rotary_emb.inv_freq'] = ref.encode(ref.frequencies(cfg), 'F32')
    names = sorted(stored)
    if case['shards'] == 1:
        ref.write_safetensors(os.path.join(out, 'model.safetensors'), stored, {'format': 'pt'})
    else:
        n = case['shards']
        weight_map, total = {}, 0
        for s in range(n):
            file = f'model-{s + 1:05d}-of-{n:05d}.safetensors'
            part = {k: stored[k] for k in names[s::n]}
            ref.write_safetensors(os.path.join(out, file), part, {'format': 'pt'})
            for k, (dtype, shape, data) in part.items():
                weight_map[k] = file
                total += len(data)
        write_json(os.path.join(out, 'model.safetensors.index.json'), {'metadata': {'total_size': total}, 'weight_map': dict(sorted(weight_map.items()))})
    write_json(os.path.join(out, 'config.json'), cfg)
    write_json(os.path.join(out, 'generation_config.json'), {'bos_token_id': 256, 'eos_token_id': [257, 46], 'do_sample': True, 'temperature': 0.7,
                                                             'top_p': 0.9, 'max_new_tokens': 12})
    write_json(os.path.join(out, 'tokenizer.json'), {'type': 'byte', 'version': 1}, indent=None)
    expected = {}
    for s, ids in enumerate(SEQUENCES):
        logits = ref.forward(p, cfg, ids)
        expected[f'ids.{s}'] = ref.i32(ids)
        expected[f'logits.{s}'] = ref.encode(logits, 'F32')
    ref.write_safetensors(os.path.join(out, 'expected.safetensors'), expected, {'sequences': str(len(SEQUENCES))})
    print('wrote', out, sorted(os.listdir(out)))


def main():
    for seed, (name, case) in enumerate(CASES.items()):
        write_case(name, case, 100 + seed)


if __name__ == '__main__':
    main()
