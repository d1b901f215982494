"""Reader cost of large safetensors headers: time and peak memory (RSS) of seek's reader and,
with --reference, of the safetensors package (safetensors.numpy) on the same file.

    python3 benchmarks/safetensors_headers.py make FILE N      # a file with N one-element F32 tensors
    python3 benchmarks/safetensors_headers.py seek FILE         # PYTHONPATH=build/python
    python3 benchmarks/safetensors_headers.py reference FILE    # a python with the safetensors package
    python3 benchmarks/safetensors_headers.py save N            # seek's writer: N tensors to a temp file

Each run prints seconds and the process's peak RSS (MB); run each in its own process.
"""
import json
import os
import resource
import struct
import sys
import tempfile
import time


def make(path, n):
    header, off = {}, 0
    for i in range(n):
        header[f"layer{i}.weight"] = {"dtype": "F32", "shape": [1], "data_offsets": [off, off + 4]}
        off += 4
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(b"\0" * off)
    print(f"{path}: {n} tensors, header {len(text) / 1e6:.1f} MB")


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    what = sys.argv[1]
    if what == "make":
        return make(sys.argv[2], int(sys.argv[3]))
    if what == "save":
        import seek
        n = int(sys.argv[2])
        d = {f"layer{i}.weight": seek.zeros(1) for i in range(n)}
        fd, path = tempfile.mkstemp()
        os.close(fd)
        base = peak_mb()
        t = time.perf_counter()
        seek.io.safetensors.save_file(d, path)
        print(f"seek save_file {n} tensors: {time.perf_counter() - t:.3f} s, peak RSS {peak_mb():.0f} MB "
              f"(before the call {base:.0f} MB)")
        os.unlink(path)
        return
    path = sys.argv[2]
    if what == "seek":
        import seek
        load = seek.io.safetensors.load_file
    else:
        from safetensors.numpy import load_file as load
    base = peak_mb()
    t = time.perf_counter()
    out = load(path)
    print(f"{what} load_file: {len(out)} tensors in {time.perf_counter() - t:.3f} s, peak RSS {peak_mb():.0f} MB "
          f"(before the call {base:.0f} MB)")


if __name__ == "__main__":
    main()
