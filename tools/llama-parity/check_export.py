#!/usr/bin/env python3
"""Reads a Llama-family checkpoint directory apogee wrote (config.json, model.safetensors or shards
with model.safetensors.index.json) with the independent PyTorch reference and prints its logits for
token sequences as JSON: the export half of the parity check.

    /usr/bin/python3 tools/llama-parity/check_export.py DIR '[[1, 2, 3], [4, 5]]' [--score]

With --score the directory is a LlamaForSequenceClassification-style reward model: it prints, per
sequence, the last token's final hidden state times score.weight.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402


def main():
    directory, sequences = sys.argv[1], json.loads(sys.argv[2])
    cfg, p = ref.read_checkpoint(directory)
    if '--score' in sys.argv[3:]:
        json.dump([ref.score(p, cfg, ids) for ids in sequences], sys.stdout)
    else:
        json.dump([ref.forward(p, cfg, ids).tolist() for ids in sequences], sys.stdout)


if __name__ == '__main__':
    main()
