#!/usr/bin/env python3
"""Reads a checkpoint directory apogee wrote (config.json + model.safetensors, Hugging Face GPT-2
names) with the independent PyTorch GPT-2 of make_fixture.py, and prints its logits for token
sequences as JSON: the export half of the parity check (make_fixture.py checks the import half).

    /usr/bin/python3 tools/policy-parity/check_export.py DIR '[[1, 2, 3], [4, 5]]'

Only the standard library and PyTorch: safetensors is parsed by hand (8-byte little-endian header
length, JSON header, raw little-endian data).
"""
import json
import os
import struct
import sys

import torch

import make_fixture as ref

DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'F64': torch.float64}


def read_safetensors(path):
    with open(path, 'rb') as f:
        blob = f.read()
    (n,) = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        start, end = info['data_offsets']
        t = torch.frombuffer(bytearray(data[start:end]), dtype=DTYPES[info['dtype']]).reshape(info['shape'])
        out[name.removeprefix('transformer.')] = t.double()
    return out


def main():
    directory, sequences = sys.argv[1], json.loads(sys.argv[2])
    with open(os.path.join(directory, 'config.json')) as f:
        config = json.load(f)
    for key in ('vocab_size', 'n_positions', 'n_layer', 'n_head', 'n_embd', 'layer_norm_epsilon'):
        ref.CFG[key] = config[key]
    if config.get('activation_function', 'gelu_new') != 'gelu_new':
        raise SystemExit(f"check_export.py implements gelu_new only, not {config['activation_function']}")
    p = read_safetensors(os.path.join(directory, 'model.safetensors'))
    json.dump([ref.forward(p, ids).tolist() for ids in sequences], sys.stdout)


if __name__ == '__main__':
    main()
