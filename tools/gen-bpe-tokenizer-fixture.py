#!/usr/bin/env python3
"""Regenerate @apogee/tokenizers' tiny GPT-2-style byte-level BPE fixture, without downloading.

GPT-2's tokenizer is byte-level BPE: text is split by GPT-2's pre-tokenizer pattern, each piece's
UTF-8 bytes are mapped to printable characters (the byte→unicode table of the GPT-2 paper's code
release, re-derived here from its definition), and ranked merges are applied. This script learns
a few merges from a small built-in corpus, writes a Hugging Face `tokenizer.json` (the format
`tokenizers` saves for GPT-2) plus `tokenizer_config.json`, and writes `expected.json`: the ids
this independent Python implementation gives for test strings, which the JS loader must match.

Usage: python3 tools/gen-bpe-tokenizer-fixture.py
"""
import json
import os
from collections import Counter

import regex

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'packages', 'tokenizers', 'fixtures', 'tiny-gpt2')
PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
EOT = '<|endoftext|>'
NUM_MERGES = 80
CORPUS = """
The policy tries to earn reward, while the reward model learns to tell the policy's samples from
golden responses. The reward model stays faithful to human preference pairs. There is a game
between the reward model and the language model. The language model is trained on the samples
that the reward model prefers. It's the adversarial preference optimization game, and they're
playing it in rounds: the policy samples, the reward model scores, the policy updates.
Question: what is the capital of France? Answer: the capital of France is Paris.
Question: how many legs has a spider? Answer: a spider has eight legs. 1234 5678 2024.
"""


def bytes_to_unicode():
    """Printable bytes map to themselves; the others to code points from 256 upwards, in byte order."""
    printable = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    # Ids 0–255 follow GPT-2's order: printable bytes first, then the rest.
    order = printable + [b for b in range(256) if b not in printable]
    return table, order


BYTE_CHAR, BYTE_ORDER = bytes_to_unicode()


def pieces(text):
    return [''.join(BYTE_CHAR[b] for b in p.encode('utf-8')) for p in PATTERN.findall(text)]


def train():
    words = Counter(tuple(p) for p in pieces(CORPUS))
    merges = []
    for _ in range(NUM_MERGES):
        pairs = Counter()
        for word, n in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], [-ord(c) for c in kv[0][0] + '\0' + kv[0][1]]))[0]
        merges.append(best)
        merged = Counter()
        for word, n in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    return merges


def bpe(piece, ranks):
    word = list(piece)
    while len(word) > 1:
        pairs = [(ranks.get((a, b), float('inf')), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
        rank, i = min(pairs)
        if rank == float('inf'):
            break
        pair = (word[i], word[i + 1])
        out, j = [], 0
        while j < len(word):
            if j + 1 < len(word) and (word[j], word[j + 1]) == pair:
                out.append(word[j] + word[j + 1])
                j += 2
            else:
                out.append(word[j])
                j += 1
        word = out
    return word


def main():
    merges = train()
    vocab = {}
    for b in BYTE_ORDER:
        vocab[BYTE_CHAR[b]] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    eot_id = len(vocab)
    tokenizer = {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [{'id': eot_id, 'content': EOT, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': True, 'special': True}],
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        'post_processor': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': False, 'use_regex': True},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {
            'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': '', 'end_of_word_suffix': '',
            'fuse_unk': False, 'byte_fallback': False, 'vocab': vocab, 'merges': [f'{a} {b}' for a, b in merges],
        },
    }
    config = {
        'add_prefix_space': False, 'bos_token': EOT, 'eos_token': EOT, 'unk_token': EOT,
        'model_max_length': 1024, 'tokenizer_class': 'GPT2Tokenizer',
    }
    ranks = {m: i for i, m in enumerate(merges)}
    tests = [
        'The reward model scores the policy.',
        "It's the game; they're playing 12345 rounds!",
        'Question: what is the capital of France?\nAnswer:  Paris.',
        'It’s “quoted” … done — naïve café 東京 🙂👍🏽',
        '   leading and trailing spaces   ',
        '',
    ]
    expected = [{'text': t, 'ids': [vocab[tok] for p in pieces(t) for tok in bpe(p, ranks)]} for t in tests]
    os.makedirs(OUT, exist_ok=True)
    for name, value in [('tokenizer.json', tokenizer), ('tokenizer_config.json', config)]:
        with open(os.path.join(OUT, name), 'w', encoding='utf-8') as f:
            json.dump(value, f, ensure_ascii=False, indent=1)
            f.write('\n')
    with open(os.path.join(OUT, '..', 'tiny-gpt2.expected.json'), 'w', encoding='utf-8') as f:
        json.dump({'vocabSize': eot_id + 1, 'eosId': eot_id, 'cases': expected}, f, ensure_ascii=False, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
