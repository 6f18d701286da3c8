#!/usr/bin/env python3
"""Regenerate @apogee/safetensors' test fixtures, written by hand from the format spec.

The `safetensors` pip package is not installable here, so the bytes are written by hand
(tools/safetensors_io.py, from the format spec) from numpy arrays.

Writes into packages/safetensors/fixtures/:
  compat-f32-i32.safetensors  F32/I32 tensors: apogee's writer must reproduce it byte for byte.
  all-dtypes.safetensors      one tensor per supported dtype, for the reader.
  all-dtypes.expected.json    the values the reader must return (after its float32/int32 conversion).

Usage: python3 tools/gen-safetensors-fixtures.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors as write  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'packages', 'safetensors', 'fixtures')
DTYPES = {
    np.dtype('<f8'): 'F64', np.dtype('<f4'): 'F32', np.dtype('<f2'): 'F16', np.dtype('<i8'): 'I64',
    np.dtype('<i4'): 'I32', np.dtype('<i2'): 'I16', np.dtype('i1'): 'I8', np.dtype('u1'): 'U8', np.dtype('bool'): 'BOOL',
}


def np_entry(array):
    array = np.ascontiguousarray(array)
    return (DTYPES[array.dtype], array.shape, array.tobytes())


def bf16_bytes(values):
    """Round-to-nearest-even float32 → bfloat16, as little-endian uint16 bytes."""
    bits = np.asarray(values, dtype='<f4').view('<u4').astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype('<u2')
    return rounded.tobytes(), (rounded.astype('<u4') << 16).view('<f4')


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240311)

    compat = {
        'h.0.attn.c_attn.weight': np_entry(rng.standard_normal((4, 12)).astype('<f4')),
        'h.0.ln_1.bias': np_entry(np.linspace(-1, 1, 4).astype('<f4')),
        'wte.weight': np_entry(rng.standard_normal((7, 4)).astype('<f4')),
        'step': np_entry(np.array([42], dtype='<i4')),
        'scalar': np_entry(np.array(3.5, dtype='<f4')),
        'empty': np_entry(np.zeros((0, 3), dtype='<f4')),
        'tokens': np_entry(np.arange(-3, 9, dtype='<i4').reshape(3, 4)),
        '10': np_entry(np.array([1.0, -2.0], dtype='<f4')),
        '2': np_entry(np.array([7], dtype='<i4')),
        'ünïcode.名前': np_entry(np.array([0.25], dtype='<f4')),
    }
    write(os.path.join(OUT, 'compat-f32-i32.safetensors'), compat, {'format': 'pt', 'apogee': 'fixture'})

    f = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08, 0.1, np.inf, -np.inf], dtype='<f4')
    bf_raw, bf_expected = bf16_bytes(np.array([0.0, 1.0, -3.140625, 1e30, -1e-30, 0.1, 65280.0], dtype='<f4'))
    tensors = {
        'f64': np_entry(np.array([[1.0, -1e-3], [1e20, 3.141592653589793]], dtype='<f8')),
        'f32': np_entry(rng.standard_normal((2, 3)).astype('<f4')),
        'f16': np_entry(f.astype('<f2')),
        'bf16': ('BF16', (7,), bf_raw),
        'i64': np_entry(np.array([0, -1, 2147483647, -2147483648, 50256], dtype='<i8')),
        'i32': np_entry(np.array([[1, -2], [3, -4]], dtype='<i4')),
        'i16': np_entry(np.array([-32768, 32767, 0], dtype='<i2')),
        'i8': np_entry(np.array([-128, 127, 5], dtype='i1')),
        'u8': np_entry(np.array([0, 255, 17], dtype='u1')),
        'bool': np_entry(np.array([True, False, True], dtype='bool')),
    }
    write(os.path.join(OUT, 'all-dtypes.safetensors'), tensors, {'format': 'np'})

    def as_f32(values):
        return [float(x) if np.isfinite(x) else ('Infinity' if x > 0 else '-Infinity') for x in np.asarray(values, dtype='<f4').ravel()]

    expected = {
        'f64': {'shape': [2, 2], 'values': as_f32(np.array([[1.0, -1e-3], [1e20, 3.141592653589793]]))},
        'f32': {'shape': [2, 3], 'values': as_f32(np.frombuffer(tensors['f32'][2], dtype='<f4'))},
        'f16': {'shape': [10], 'values': as_f32(f.astype('<f2').astype('<f4'))},
        'bf16': {'shape': [7], 'values': as_f32(bf_expected)},
        'i64': {'shape': [5], 'values': [0, -1, 2147483647, -2147483648, 50256]},
        'i32': {'shape': [2, 2], 'values': [1, -2, 3, -4]},
        'i16': {'shape': [3], 'values': [-32768, 32767, 0]},
        'i8': {'shape': [3], 'values': [-128, 127, 5]},
        'u8': {'shape': [3], 'values': [0, 255, 17]},
        'bool': {'shape': [3], 'values': [1, 0, 1]},
    }
    with open(os.path.join(OUT, 'all-dtypes.expected.json'), 'w') as fh:
        json.dump(expected, fh, indent=1)
        fh.write('\n')
    # The compat file's tensors as plain numbers, so the test can rebuild them without Python.
    plain = {}
    for name, (dtype, shape, raw) in compat.items():
        arr = np.frombuffer(raw, dtype='<f4' if dtype == 'F32' else '<i4')
        plain[name] = {'dtype': dtype, 'shape': list(shape), 'values': [float(x) if dtype == 'F32' else int(x) for x in arr]}
    with open(os.path.join(OUT, 'compat-f32-i32.expected.json'), 'w') as fh:
        json.dump({'metadata': {'format': 'pt', 'apogee': 'fixture'}, 'tensors': plain}, fh, indent=1, ensure_ascii=False)
        fh.write('\n')


if __name__ == '__main__':
    main()
