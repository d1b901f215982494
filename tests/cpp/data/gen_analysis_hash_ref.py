# Reference content hashes (FNV-1a 64 over the byte stream documented in
# include/seek/data/analysis.h), computed independently of seek:
#  - test_analysis.cpp (ContentHash.KnownValue): a TensorDataset with data uint8
#    [[1, 2, 3], [4, 5, 6]] and targets int64 [5, 7];
#  - examples/CMakeLists.txt (example_dataset_info_fashion_mnist): the
#    Fashion-MNIST test split as seek::data::MNIST gives it (float32 [1, 28, 28]
#    images = uint8 / 255, int64 0-D labels), with --fashion-mnist DIR (needs numpy).
# Run: /usr/bin/python3 tests/cpp/data/gen_analysis_hash_ref.py [--fashion-mnist DIR]
import gzip
import struct
import sys

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


def fnv1a64(data: bytes, state: int = FNV_OFFSET) -> int:
    for b in data:
        state = ((state ^ b) * FNV_PRIME) & MASK
    return state


def u64(v: int) -> bytes:
    return struct.pack("<Q", v)


def tensor_header(dtype: str, shape) -> bytes:
    out = u64(len(dtype)) + dtype.encode() + u64(len(shape))
    for s in shape:
        out += u64(s)
    return out


def small_dataset_hash() -> int:
    stream = b""
    for data, target in (([1, 2, 3], 5), ([4, 5, 6], 7)):
        stream += tensor_header("uint8", [3]) + bytes(data)
        stream += tensor_header("int64", []) + struct.pack("<q", target)
    stream += u64(2)
    return fnv1a64(stream)


def fashion_mnist_test_hash(root: str) -> int:
    import numpy as np

    images = np.frombuffer(gzip.open(root + "/t10k-images-idx3-ubyte.gz").read()[16:], np.uint8)
    labels = np.frombuffer(gzip.open(root + "/t10k-labels-idx1-ubyte.gz").read()[8:], np.uint8).astype("<i8")
    images = (images.reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255)).astype("<f4")
    state = FNV_OFFSET
    for i in range(len(labels)):
        state = fnv1a64(tensor_header("float32", [1, 28, 28]) + images[i].tobytes(), state)
        state = fnv1a64(tensor_header("int64", []) + labels[i].tobytes(), state)
    return fnv1a64(u64(len(labels)), state)


print(f"small dataset: 0x{small_dataset_hash():016x}")
if len(sys.argv) == 3 and sys.argv[1] == "--fashion-mnist":
    print(f"Fashion-MNIST test split: {fashion_mnist_test_hash(sys.argv[2]):016x}")
