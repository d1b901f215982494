"""PyTorch's conv -> BatchNorm -> ReLU (cuDNN), forward + backward with batch statistics, on the conv shapes of
benchmarks/gpu/bench_conv_bn.cpp, timed the same way (same row names, shapes, dtype and layout).

    torch_conv_bn.py [--device cuda|cpu] [--dtype bf16|f16|f32] [--shapes resnet50|resnet20|tiny] [--batch 256]
                     [--runs 10] [--target-ms 20] [--filter S] [--json FILE] [--nchw]

One call = grads set to None, F.conv2d -> F.batch_norm(training=True) -> F.relu, backward with a fixed
upstream gradient; channels_last (NHWC) tensors unless --nchw. Writes {name: {"torch_s": seconds}} plus
"_meta" ("conv_s": the convolution alone forward + backward, the issue's reference point). Exits with 2
without a visible GPU (--device cuda).
"""
import argparse
import json
import math
import statistics
import sys
import time

SHAPES = {
    "resnet20": [(16, 16, 3, 1, 32), (16, 32, 3, 2, 32), (32, 32, 3, 1, 16), (64, 64, 3, 1, 8)],
    "tiny": [(8, 16, 3, 1, 6), (16, 8, 1, 2, 6)],
    "resnet50": [(3, 64, 7, 2, 224), (64, 64, 1, 1, 56), (64, 64, 3, 1, 56), (64, 256, 1, 1, 56),
                 (256, 64, 1, 1, 56), (256, 128, 1, 1, 56), (128, 128, 3, 2, 56), (128, 512, 1, 1, 28),
                 (256, 512, 1, 2, 56), (512, 128, 1, 1, 28), (128, 128, 3, 1, 28), (512, 256, 1, 1, 28),
                 (256, 256, 3, 2, 28), (256, 1024, 1, 1, 14), (512, 1024, 1, 2, 28), (1024, 256, 1, 1, 14),
                 (256, 256, 3, 1, 14), (1024, 512, 1, 1, 14), (512, 512, 3, 2, 14), (512, 2048, 1, 1, 7),
                 (1024, 2048, 1, 2, 14), (2048, 512, 1, 1, 7), (512, 512, 3, 1, 7)],
}


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--dtype", choices=["bf16", "f16", "f32"], default="bf16")
    p.add_argument("--shapes", choices=sorted(SHAPES), default="resnet50")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--target-ms", type=float, default=20.0)
    p.add_argument("--filter", default="")
    p.add_argument("--json", default="")
    p.add_argument("--nchw", action="store_true")
    a = p.parse_args()
    if a.batch < 2 or a.runs < 1 or a.target_ms <= 0:
        p.error("--batch > 1, --runs and --target-ms positive")
    return a


def main():
    a = parse()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print(f"torch_conv_bn: PyTorch is not installed ({e})", file=sys.stderr)
        return 1
    cuda = a.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print("torch_conv_bn: no CUDA GPU visible", file=sys.stderr)
        return 2
    torch.backends.cudnn.benchmark = True
    dev = torch.device(a.device)
    dt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[a.dtype]
    fmt = torch.contiguous_format if a.nchw else torch.channels_last
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def timed(call):
        def batch(k):
            sync()
            t0 = time.perf_counter()
            for _ in range(k):
                call()
            sync()
            return (time.perf_counter() - t0) / k
        for _ in range(3):
            call()
        est = min(batch(1) for _ in range(3))
        k = max(1, min(1000, math.ceil(a.target_ms * 1e-3 / max(est, 1e-9))))
        return statistics.median(batch(k) for _ in range(a.runs))

    out = {"_meta": {"impl": "torch " + torch.__version__, "device": torch.cuda.get_device_name(0) if cuda else "cpu",
                     "dtype": a.dtype, "batch": a.batch, "layout": "nchw" if a.nchw else "nhwc", "conv_s": {}}}
    g = torch.Generator().manual_seed(0)
    for cin, cout, k, stride, h in SHAPES[a.shapes]:
        name = f"convbn_{cin}_{cout}_k{k}s{stride}_{h}"
        if a.filter and a.filter not in name:
            continue
        pad = k // 2
        oh = (h + 2 * pad - k) // stride + 1

        def make(shape, grad):
            t = torch.randn(shape, generator=g).to(dev, dt)
            if len(shape) == 4:
                t = t.contiguous(memory_format=fmt)
            return t.requires_grad_(grad)

        x, w = make([a.batch, cin, h, h], cin != 3), make([cout, cin, k, k], True)
        gamma = torch.ones(cout, device=dev, dtype=dt, requires_grad=True)
        beta = torch.zeros(cout, device=dev, dtype=dt, requires_grad=True)
        rm, rv = torch.zeros(cout, device=dev, dtype=dt), torch.ones(cout, device=dev, dtype=dt)
        gy = make([a.batch, cout, oh, oh], False)
        leaves = [x, w, gamma, beta]

        def block():
            for t in leaves:
                t.grad = None
            y = F.relu(F.batch_norm(F.conv2d(x, w, None, stride, pad), rm, rv, gamma, beta, True))
            y.backward(gy)

        def conv_only():
            for t in leaves:
                t.grad = None
            F.conv2d(x, w, None, stride, pad).backward(gy)

        t, tc = timed(block), timed(conv_only)
        out[name] = {"torch_s": t}
        out["_meta"]["conv_s"][name] = tc
        print(f"{name:26s} torch {t * 1e3:9.3f} ms  (conv alone {tc * 1e3:9.3f} ms, {t / tc:.2f}x)", file=sys.stderr)
    text = json.dumps(out, indent=1)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
