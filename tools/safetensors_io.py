"""safetensors read and written by hand, for the Python tools that make and check apogee's fixtures.

The `safetensors` pip package is not installable here, so the bytes follow the format spec (and the
Rust library's choices): an 8-byte little-endian header length, a compact JSON header
(`__metadata__` first, sorted; then tensors sorted by name with contiguous `data_offsets`) padded
with spaces to a multiple of 8 bytes, then the raw little-endian data. Writing needs only the
standard library; reading into tensors needs PyTorch (imported there). Shared by
tools/gen-safetensors-fixtures.py, tools/policy-parity/ and tools/llama-parity/; it shares no code
with apogee's TypeScript reader and writer, which these files check.
"""
import json
import struct


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> (dtype string, shape, raw little-endian bytes); metadata: str -> str."""
    header = {}
    if metadata is not None:
        header['__metadata__'] = dict(sorted(metadata.items()))
    offset, blobs = 0, []
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path, strip_prefix=''):
    """name (less `strip_prefix`) -> float64 torch tensor, for the F32/F16/BF16/F64 tensors of `path`."""
    import torch

    dtypes = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'F64': torch.float64}
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
        t = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[info['dtype']]).reshape(info['shape'])
        out[name.removeprefix(strip_prefix) if strip_prefix else name] = t.double()
    return out


def write_json(path, value, indent=2):
    """`value` as JSON with a final newline (the fixtures' config.json, tokenizer.json, …)."""
    with open(path, 'w') as f:
        json.dump(value, f, indent=indent)
        f.write('\n')
