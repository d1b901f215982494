"""Reference numbers for test_mobilenet_v3.cpp, from torchvision (needs torch + torchvision).

For mobilenet_v3_small and mobilenet_v3_large (1000 classes) it prints the parameter count,
the number of state_dict entries, the first and last keys, and a 64-bit FNV-1a hash of the
state_dict listing: one line "name:d0xd1x..." (newline-terminated) per entry in order; a scalar
has an empty shape.
The C++ test builds the same listing from seek's state_dict and hashes it the same way.

    python3 tests/cpp/models/gen_mobilenet_v3_keys.py
"""


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def listing(model) -> str:
    return "".join(f"{k}:{'x'.join(str(d) for d in v.shape)}\n" for k, v in model.state_dict().items())


def main():
    import torchvision  # imported here so the helpers above load without it

    for name in ("mobilenet_v3_small", "mobilenet_v3_large"):
        model = getattr(torchvision.models, name)()
        sd = model.state_dict()
        keys = list(sd.keys())
        print(name)
        print("  parameters:", sum(p.numel() for p in model.parameters()))
        print("  state_dict entries:", len(keys))
        print("  first keys:", keys[:3])
        print("  last keys:", keys[-3:])
        print(f"  listing hash: 0x{fnv1a64(listing(model).encode()):016x}ULL")


if __name__ == "__main__":
    main()
