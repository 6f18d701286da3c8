#!/usr/bin/env python3
"""Reads a checkpoint directory apogee wrote (config.json + model.safetensors, Hugging Face GPT-2
names) with the independent PyTorch GPT-2 of make_fixture.py, and prints its logits for token
sequences as JSON: the export half of the parity check (make_fixture.py checks the import half).

    /usr/bin/python3 tools/policy-parity/check_export.py DIR '[[1, 2, 3], [4, 5]]'

Only the standard library and PyTorch: safetensors is parsed by hand (tools/safetensors_io.py).
"""
import json
import os
import sys

import make_fixture as ref
from safetensors_io import read_safetensors  # noqa: E402 (tools/, put on the path by make_fixture)


def main():
    directory, sequences = sys.argv[1], json.loads(sys.argv[2])
    with open(os.path.join(directory, 'config.json')) as f:
        config = json.load(f)
    for key in ('vocab_size', 'n_positions', 'n_layer', 'n_head', 'n_embd', 'layer_norm_epsilon'):
        ref.CFG[key] = config[key]
    if config.get('activation_function', 'gelu_new') != 'gelu_new':
        raise SystemExit(f"check_export.py implements gelu_new only, not {config['activation_function']}")
    p = read_safetensors(os.path.join(directory, 'model.safetensors'), strip_prefix='transformer.')
    json.dump([ref.forward(p, ids).tolist() for ids in sequences], sys.stdout)


if __name__ == '__main__':
    main()
