#!/usr/bin/env python3
"""Overhead of seek's Python layer against PyTorch's, measured in the same process.

  PYTHONPATH=<build>/python python3 benchmarks/python_overhead.py [--threads 2] [--windows 7]
      [--number 20000] [--steps 10] [--bench-train <build>/benchmarks/bench_train] [--json FILE]

Small ops (two 16-element float32 tensors): `a + b`, `a + 1.0`, `a.add_(b)` and `.item()`
of a 0-dim tensor, per call. Each window times --number calls with timeit; seek and torch
alternate window by window (which goes first alternates too), so both see the same
machine load, and the table shows the median over the windows.

MLP training step (784-512-512-10, ReLU, batch 128, Adam lr 1e-3: zero_grad, forward,
cross_entropy, backward, step) from Python in seek and in torch, alternating windows of
--steps steps (each after --window-warmup untimed steps). With --bench-train, the same
step in C++ (benchmarks/bench_train.cpp `--model mlp`, a fresh process per window, timed
after --cpp-warmup steps) runs one window between the Python ones, so the output also
shows what the Python layer adds to a step.
The table gives medians and minimums over the windows and the median of the per-window
torch/seek ratios (each window pair ran back to back, so it sees nearly the same load).

Both libraries use --threads threads: torch.set_num_threads(n) and OMP_NUM_THREADS=n for
seek (set here before seek is imported unless already set).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import timeit


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--windows", type=int, default=7, help="timed windows per library and workload")
    p.add_argument("--number", type=int, default=20000, help="small-op calls per window")
    p.add_argument("--steps", type=int, default=10, help="MLP steps per window")
    p.add_argument("--warmup", type=int, default=3, help="untimed MLP steps before the windows")
    p.add_argument("--window-warmup", type=int, default=2,
                   help="untimed MLP steps at the start of each window (the other library's window "
                        "just ran in the same process and left the caches and allocator its way)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--bench-train", default=None, help="path of the bench_train binary (C++ MLP step)")
    p.add_argument("--cpp-warmup", type=int, default=15,
                   help="untimed steps of each bench_train process (a fresh process needs ~10 to settle)")
    p.add_argument("--json", default=None, help="also write the raw window times here")
    return p.parse_args()


args = parse_args()
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import seek  # noqa: E402
import seek.nn as snn  # noqa: E402
import seek.nn.functional as SF  # noqa: E402
import torch  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

torch.set_num_threads(args.threads)


# ---- small ops -------------------------------------------------------------------------

def small_op_cases(lib):
    """name -> zero-argument callable doing one call of the op (state built once)."""
    a = lib.rand(16)
    b = lib.rand(16)
    c = lib.rand(16)
    d = lib.tensor(1.5)
    # add_ adds zeros so that c stays finite however many calls a window makes.
    z = lib.zeros(16)
    return {
        "a + b": lambda: a + b,
        "a + 1.0": lambda: a + 1.0,
        "a.add_(b)": lambda: c.add_(z),
        "0-dim .item()": lambda: d.item(),
    }


def time_small(fn, number):
    fn()
    return timeit.timeit(fn, number=number) / number


# ---- MLP training step -------------------------------------------------------------------

def mlp_step(lib, nn, F, batch):
    """One Adam step of the same MLP, written once for seek (lib=seek) and torch (lib=torch)."""
    lib.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    x = lib.randn(batch, 1, 28, 28)
    y = lib.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def time_steps(step, steps, warmup):
    for _ in range(warmup):
        step()
    t = timeit.timeit(step, number=steps)
    return t / steps


def cpp_window(path, batch, steps, warmup, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([path, "--model", "mlp", "--batch", str(batch), "--warmup", str(warmup), "--steps",
                          str(steps), "--windows", "1"], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["step_ms"] / 1e3


# ---- main --------------------------------------------------------------------------------

def main():
    raw = {"seek": {}, "torch": {}, "c++": {}}
    cases = {"seek": small_op_cases(seek), "torch": small_op_cases(torch)}
    for w in range(args.windows):
        order = ("seek", "torch") if w % 2 == 0 else ("torch", "seek")
        for name in cases["seek"]:
            for lib in order:
                raw[lib].setdefault(name, []).append(time_small(cases[lib][name], args.number))

    steps = {"seek": mlp_step(seek, snn, SF, args.batch), "torch": mlp_step(torch, tnn, TF, args.batch)}
    for lib, step in steps.items():
        for _ in range(args.warmup):
            step()
    mlp = "MLP step"
    for w in range(args.windows):
        order = ("seek", "torch") if w % 2 == 0 else ("torch", "seek")
        for lib in order:
            raw[lib].setdefault(mlp, []).append(time_steps(steps[lib], args.steps, args.window_warmup))
        if args.bench_train:
            raw["c++"].setdefault(mlp, []).append(
                cpp_window(args.bench_train, args.batch, args.steps, args.cpp_warmup, args.threads))

    med = {lib: {k: statistics.median(v) for k, v in d.items()} for lib, d in raw.items()}
    low = {lib: {k: min(v) for k, v in d.items()} for lib, d in raw.items()}
    print(f"threads {args.threads}, {args.windows} alternating windows; small ops: {args.number} calls per "
          f"window; MLP: {args.steps} steps per window, batch {args.batch}")
    print("| workload | seek µs (median) | torch µs (median) | torch / seek (medians) | torch / seek (median of "
          "paired windows) | seek µs (min) | torch µs (min) | torch / seek (mins) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in raw["seek"]:
        s, t = med["seek"][name], med["torch"][name]
        ls, lt = low["seek"][name], low["torch"][name]
        paired = statistics.median(b / a for a, b in zip(raw["seek"][name], raw["torch"][name]))
        print(f"| {name} | {s * 1e6:.2f} | {t * 1e6:.2f} | {t / s:.2f} | {paired:.2f} | {ls * 1e6:.2f} "
              f"| {lt * 1e6:.2f} | {lt / ls:.2f} |")
    if mlp in med["c++"]:
        c, s = med["c++"][mlp], med["seek"][mlp]
        lc, ls = low["c++"][mlp], low["seek"][mlp]
        paired = statistics.median(p - q for p, q in zip(raw["seek"][mlp], raw["c++"][mlp]))
        print(f"\nMLP step, seek from C++ (bench_train --model mlp) against seek from Python:\n"
              f"  median {c * 1e6:.0f} µs vs {s * 1e6:.0f} µs; min {lc * 1e6:.0f} µs vs {ls * 1e6:.0f} µs; "
              f"Python - C++: medians {(s - c) * 1e6:+.0f} µs, mins {(ls - lc) * 1e6:+.0f} µs, "
              f"median of paired windows {paired * 1e6:+.0f} µs")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "windows_s": raw}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
