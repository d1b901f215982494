"""Writes the reference safetensors file pasted into test_safetensors.cpp (kReferenceFile).

Uses only struct and json, following the format description (8-byte little-endian header
length, compact JSON header padded with spaces to a multiple of 8, little-endian data), so
that seek's writer is checked against an independent encoder. Run: python3 gen_safetensors_ref.py
"""
import json
import struct

tensors = [  # name, dtype code, shape, little-endian bytes
    ("a", "F32", [2], struct.pack("<2f", 1.0, -2.5)),
    ("b", "I64", [], struct.pack("<q", 7)),
    ("c", "BOOL", [3], bytes([1, 0, 1])),
    ("e", "BF16", [0], b""),
]
header = {"__metadata__": {"format": "pt"}}
offset = 0
for name, dtype, shape, data in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
text = json.dumps(header, separators=(",", ":")).encode("utf-8")
text += b" " * ((8 - len(text) % 8) % 8)
blob = struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)

print("// %d bytes, from tests/cpp/io/gen_safetensors_ref.py" % len(blob))
for i in range(0, len(blob), 16):
    print("    " + " ".join("0x%02x," % b for b in blob[i:i + 16]))
