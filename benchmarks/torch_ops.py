#!/usr/bin/python3
"""The workloads of bench_ops.cpp in PyTorch, timed the same way.

Prints one JSON object: {name: {"time_s": median seconds per call, "bytes": bytes
per call, "flops": flops per call (matmul and conv)}}, with names matching the
Google Benchmark names of bench_ops (BM_Matmul/256, ...).
Usage: /usr/bin/python3 torch_ops.py [--threads 2] [--repeats 15] [--min-time 0.2]
"""
import argparse
import json
import statistics
import time

import torch


def time_call(fn, repeats, min_time):
    """Median over `repeats` samples; each sample runs fn enough times to last min_time/repeats."""
    for _ in range(3):  # warm-up: page in buffers, start the thread pool
        fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(min_time / repeats / once))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of measurement per workload")
    ap.add_argument("--matmul", type=int, nargs="*", default=[256, 1024])
    ap.add_argument("--elems", type=int, default=1 << 24)
    ap.add_argument("--softmax", type=int, nargs=2, default=[4096, 4096])
    ap.add_argument("--conv", type=lambda v: tuple(int(a) for a in v.split("x")), nargs="*",
                    default=[(16, 28), (32, 14), (64, 7)], help="CxHW of the conv workloads, e.g. 16x28")
    ap.add_argument("--bn", type=lambda v: tuple(int(a) for a in v.split("x")), nargs="*",
                    default=[(16, 28), (32, 14), (64, 7)], help="CxHW of the batch-norm workloads, e.g. 16x28")
    ap.add_argument("--silu", type=int, default=1 << 22,
                    help="elements of the SiLU / GELU forward + backward workloads")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    f4 = 4
    out = {}
    with torch.no_grad():
        for n in args.matmul:
            a = torch.rand(n, n) * 2 - 1
            b = torch.rand(n, n) * 2 - 1
            t = time_call(lambda: torch.matmul(a, b), args.repeats, args.min_time)
            out[f"BM_Matmul/{n}"] = {"time_s": t, "bytes": 3 * n * n * f4, "flops": 2.0 * n**3}
        n = args.elems
        a = torch.rand(n) * 2 - 1
        b = torch.rand(n) * 2 - 1
        out[f"BM_Add/{n}"] = {"time_s": time_call(lambda: a + b, args.repeats, args.min_time), "bytes": 3 * n * f4}
        out[f"BM_AddInplace/{n}"] = {"time_s": time_call(lambda: a.add_(b), args.repeats, args.min_time),
                                     "bytes": 3 * n * f4}
        r, c = args.softmax
        x = torch.rand(r, c) * 2 - 1
        out[f"BM_Softmax/{r}/{c}"] = {"time_s": time_call(lambda: torch.softmax(x, -1), args.repeats, args.min_time),
                                      "bytes": 2 * r * c * f4}
        src = torch.rand(n) * 2 - 1
        dst = torch.zeros(n)
        out[f"BM_Copy/{n}"] = {"time_s": time_call(lambda: dst.copy_(src), args.repeats, args.min_time),
                               "bytes": 2 * n * f4}
    # The 3x3 padding-1 convs of the ResNet-20 stages, batch 128 (BM_Conv2d / BM_Conv2dBackward).
    for c, hw in args.conv:
        flops = 2.0 * 128 * c * c * 9 * hw * hw
        x = torch.rand(128, c, hw, hw) * 2 - 1
        w = torch.rand(c, c, 3, 3) * 2 - 1
        with torch.no_grad():
            t = time_call(lambda: torch.nn.functional.conv2d(x, w, None, 1, 1), args.repeats, args.min_time)
        out[f"BM_Conv2d/{c}/{hw}"] = {"time_s": t, "bytes": 4 * (2 * x.numel() + w.numel()), "flops": flops}
        xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()
        g = torch.rand(128, c, hw, hw) * 2 - 1

        def fwd_bwd():
            xg.grad = None
            wg.grad = None
            torch.nn.functional.conv2d(xg, wg, None, 1, 1).backward(g)

        t = time_call(fwd_bwd, args.repeats, args.min_time)
        out[f"BM_Conv2dBackward/{c}/{hw}"] = {"time_s": t, "bytes": 4 * (5 * x.numel() + 2 * w.numel()),
                                              "flops": 3 * flops}
    # Training-mode batch norm at the ResNet-20 shapes (BM_BatchNorm / BM_BatchNormBackward).
    for c, hw in args.bn:
        x = torch.rand(128, c, hw, hw) * 2 - 1
        w, b = torch.rand(c) * 2 - 1, torch.rand(c) * 2 - 1
        rm, rv = torch.zeros(c), torch.ones(c)
        with torch.no_grad():
            t = time_call(lambda: torch.nn.functional.batch_norm(x, rm, rv, w, b, training=True), args.repeats,
                          args.min_time)
        out[f"BM_BatchNorm/{c}/{hw}"] = {"time_s": t, "bytes": 3 * x.numel() * f4}
        xg, wg, bg = x.clone().requires_grad_(), w.clone().requires_grad_(), b.clone().requires_grad_()
        g = torch.rand(128, c, hw, hw) * 2 - 1

        def bn_fwd_bwd():
            xg.grad = wg.grad = bg.grad = None
            torch.nn.functional.batch_norm(xg, rm, rv, wg, bg, training=True).backward(g)

        t = time_call(bn_fwd_bwd, args.repeats, args.min_time)
        out[f"BM_BatchNormBackward/{c}/{hw}"] = {"time_s": t, "bytes": 8 * x.numel() * f4}
    # SiLU / GELU forward + backward to the input (BM_SiluBackward, BM_GeluBackward): x read twice, g read,
    # y and the gradient written.
    n = args.silu
    xs, gs = (torch.rand(n) * 2 - 1).requires_grad_(), torch.rand(n) * 2 - 1
    for name, act in (("Silu", torch.nn.functional.silu), ("Gelu", torch.nn.functional.gelu)):

        def act_fwd_bwd():
            xs.grad = None
            act(xs).backward(gs)

        out[f"BM_{name}Backward/{n}"] = {"time_s": time_call(act_fwd_bwd, args.repeats, args.min_time),
                                         "bytes": 5 * n * f4}
    out["_meta"] = {"torch": torch.__version__, "threads": torch.get_num_threads(),
                    "config": torch.__config__.parallel_info().splitlines()[:4]}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
