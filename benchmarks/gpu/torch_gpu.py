"""The workloads of benchmarks/gpu/bench_gpu.cpp in PyTorch, timed the same way.

    torch_gpu.py [--device cuda|cpu] [--mib 64] [--runs 15] [--target-ms 5] [--filter SUBSTRING] [--json FILE]

Same names, shapes, dtypes and byte counts as bench_gpu; the same timing method: three
warm-up calls, the fastest of three timed calls to pick a batch of k calls lasting about --target-ms, then
--runs batches each between two torch.cuda.synchronize() calls; the median per-call time.
Writes one JSON object {name: {"label", "bytes", "time_s", "min_s", "max_s", "calls_per_run"}}
with a "_meta" entry. Without a visible GPU (and --device cuda) it says so and exits with 2.
"""
import argparse
import json
import math
import statistics
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--mib", type=int, default=64)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--target-ms", type=float, default=5.0)
    p.add_argument("--filter", default="")
    p.add_argument("--json", default="")
    a = p.parse_args()
    if a.mib < 1 or a.runs < 1 or a.target_ms <= 0:
        p.error("--mib, --runs and --target-ms must be positive")
    return a


def workloads(torch, a, dev):
    """(name, label, bytes, call) in bench_gpu.cpp's order; inputs made beforehand."""
    n = a.mib * (1 << 20) // 4
    side = max(32, int(math.sqrt(n)) // 32 * 32)
    mib = f"{a.mib} MiB"
    g = torch.Generator().manual_seed(0)

    def rnd(shape, dtype):
        return torch.randn(shape, generator=g).to(dev, dtype)

    def empty(shape, dtype, device=dev):
        return torch.empty(shape, dtype=dtype, device=device)

    f32, bf16 = torch.float32, torch.bfloat16
    w = []
    src, dst = rnd([n], f32), empty([n], f32)
    w.append(("copy_f32", f"dst.copy_(src) f32, {mib}", 8 * n, lambda s=src, d=dst: d.copy_(s)))
    src, dst = rnd([n], f32), empty([n], bf16)
    w.append(("cast_f32_bf16", f"dst.copy_(src) f32 -> bf16, {mib} of f32", 6 * n, lambda s=src, d=dst: d.copy_(s)))
    src, dst = rnd([n], bf16), empty([n], f32)
    w.append(("cast_bf16_f32", f"dst.copy_(src) bf16 -> f32, {mib} of f32", 6 * n, lambda s=src, d=dst: d.copy_(s)))
    src, dst = rnd([side, side], f32), empty([side, side], f32)
    w.append(("copy_f32_transposed", f"dst.copy_(src.t()) f32 {side}x{side}", 8 * side * side,
              lambda s=src, d=dst: d.copy_(s.t())))
    t = empty([n], f32)
    w.append(("fill_f32", f"t.fill_(1.5) f32, {mib}", 4 * n, lambda t=t: t.fill_(1.5)))
    src, dst = rnd([4096], f32), empty([4096], f32)
    w.append(("copy_f32_16KiB", "dst.copy_(src) f32, 16 KiB (overhead)", 8 * 4096, lambda s=src, d=dst: d.copy_(s)))
    if dev == "cuda":
        host, gpu = torch.randn([n], generator=g), empty([n], f32)  # pageable host memory, as in seek
        w.append(("h2d_f32", f"gpu.copy_(host) f32, {mib}, pageable", 4 * n, lambda h=host, d=gpu: d.copy_(h)))
        back = empty([n], f32, device="cpu")
        w.append(("d2h_f32", f"host.copy_(gpu) f32, {mib}, pageable", 4 * n, lambda b=back, d=gpu: b.copy_(d)))
    layout_rows(torch, w, rnd, dev)
    return w


def layout_rows(torch, w, rnd, dev):
    """channels_last against NCHW: bench_gpu.cpp's layout_rows (same names, shapes and bytes)."""
    F = torch.nn.functional
    n, c, hw = (32 if dev == "cuda" else 4), 64, 56
    act, wb = 4 * n * c * hw * hw, 4 * c * c * 9
    shape = f"[{n}, {c}, {hw}, {hw}]"
    for tag, fmt, what in (("nhwc", torch.channels_last, " channels_last"), ("nchw", torch.contiguous_format, " NCHW")):
        x = rnd([n, c, hw, hw], torch.float32).contiguous(memory_format=fmt)
        wt = rnd([c, c, 3, 3], torch.float32).contiguous(memory_format=fmt)
        rm, rv = torch.zeros(c, device=dev), torch.ones(c, device=dev)
        g, b = torch.ones(c, device=dev), torch.zeros(c, device=dev)
        w.append((f"conv3x3_{tag}_f32", f"conv2d 3x3 pad 1 f32 {shape}{what}", 2 * act + wb,
                  lambda x=x, wt=wt: F.conv2d(x, wt, None, 1, 1)))
        w.append((f"batchnorm_train_{tag}_f32", f"batch_norm training f32 {shape}{what}", 2 * act,
                  lambda x=x, rm=rm, rv=rv, g=g, b=b: F.batch_norm(x, rm, rv, g, b, True)))
        w.append((f"maxpool3x3s2_{tag}_f32", f"max_pool2d 3x3 stride 2 pad 1 f32 {shape}{what}", 1.25 * act,
                  lambda x=x: F.max_pool2d(x, 3, 2, 1)))


def time_workload(call, a, sync):
    def batch(k):
        sync()
        t0 = time.perf_counter()
        for _ in range(k):
            call()
        sync()
        return (time.perf_counter() - t0) / k

    for _ in range(3):
        call()
    estimate = min(batch(1) for _ in range(3))
    k = min(10000, max(1, math.ceil(a.target_ms * 1e-3 / max(estimate, 1e-9))))
    per_call = [batch(k) for _ in range(a.runs)]
    return statistics.median(per_call), min(per_call), max(per_call), k


def main():
    a = parse()
    try:
        import torch
    except ImportError as e:
        print(f"torch_gpu: PyTorch is not importable here ({e})", file=sys.stderr)
        return 2
    if a.device == "cuda" and not torch.cuda.is_available():
        print(f"torch_gpu: no CUDA GPU visible to PyTorch {torch.__version__}; --device cpu runs the CPU rows",
              file=sys.stderr)
        return 2
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    name = torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu"
    out = {"_meta": {"impl": f"torch {torch.__version__}", "device": name, "mib": a.mib, "runs": a.runs}}
    for key, label, nbytes, call in workloads(torch, a, a.device):
        if a.filter and a.filter not in key:
            continue
        med, lo, hi, k = time_workload(call, a, sync)
        print(f"{key:22s} {med * 1e6:10.3f} us  {nbytes / med / 1e9:8.1f} GB/s  ({k} calls per run)", file=sys.stderr)
        out[key] = {"label": label, "bytes": nbytes, "time_s": med, "min_s": lo, "max_s": hi, "calls_per_run": k}
    text = json.dumps(out, indent=1) + "\n"
    if a.json:
        with open(a.json, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
