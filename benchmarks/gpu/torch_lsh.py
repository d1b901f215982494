"""PyTorch's side of benchmarks/gpu/bench_lsh.cpp: full attention, forward + backward, time and peak memory.

    torch_lsh.py [--device cuda|cpu] [--dtype bf16|f32] [--lengths 1024,4096,16384,65536] [--heads 16]
                 [--dim 64] [--naive-max 16384] [--runs 5] [--json FILE]

Rows per length L, on [1, heads, L, dim] q, k, v with a fixed output gradient (the shapes of
bench_lsh): flash_<L>, torch.nn.functional.scaled_dot_product_attention restricted to the flash
kernel (on the GPU; PyTorch >= 2.0), and naive_<L>, softmax(q k^T / sqrt(dim)) v with the L x L
matrix materialised (only up to --naive-max; a length whose naive attention runs out of memory
is recorded with "oom": true). Time: two warm-up calls, then --runs calls between
synchronisations, the median. Peak memory: torch.cuda.max_memory_allocated during one call minus
what was allocated before it (on the CPU no peak is measured). Exits with 2 without a GPU
(--device cuda) or without PyTorch.
"""
import argparse
import contextlib
import json
import math
import statistics
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--dtype", choices=["bf16", "f32"], default="bf16")
    p.add_argument("--lengths", default="1024,4096,16384,65536")
    p.add_argument("--heads", type=int, default=16)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--naive-max", type=int, default=16384)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", default="")
    a = p.parse_args()
    a.lengths = [int(x) for x in a.lengths.split(",") if x]
    if a.runs < 1 or a.heads < 1 or a.dim < 1 or not a.lengths:
        p.error("--runs, --heads, --dim and --lengths must be positive")
    return a


def flash_context(torch):
    """A context that lets SDPA use only the flash kernel (None where this PyTorch cannot say so)."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel  # PyTorch >= 2.3
        return lambda: sdpa_kernel(SDPBackend.FLASH_ATTENTION)
    except ImportError:
        pass
    if hasattr(torch.backends.cuda, "sdp_kernel"):  # PyTorch 2.0 - 2.2
        return lambda: torch.backends.cuda.sdp_kernel(enable_flash=True, enable_math=False, enable_mem_efficient=False)
    return None


def measure(torch, call, a, cuda):
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    call()
    call()
    sync()
    peak = None
    if cuda:
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        call()
        sync()
        peak = torch.cuda.max_memory_allocated() - before
    times = []
    for _ in range(a.runs):
        sync()
        t0 = time.perf_counter()
        call()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), peak


def main():
    a = parse()
    try:
        import torch
    except ImportError as e:
        print(f"torch_lsh: PyTorch is not importable here ({e})", file=sys.stderr)
        return 2
    cuda = a.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print(f"torch_lsh: no CUDA GPU visible to PyTorch {torch.__version__}", file=sys.stderr)
        return 2
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    flash = flash_context(torch) if cuda and hasattr(torch.nn.functional, "scaled_dot_product_attention") else None
    name = torch.cuda.get_device_name(0) if cuda else "cpu"
    out = {"_meta": {"impl": f"torch {torch.__version__}", "device": name, "dtype": a.dtype, "heads": a.heads,
                     "dim": a.dim, "runs": a.runs}}
    g = torch.Generator().manual_seed(0)
    scale = 1.0 / math.sqrt(a.dim)
    for L in a.lengths:
        shape = [1, a.heads, L, a.dim]

        def rnd():
            return torch.randn(shape, generator=g).to(a.device, dtype)

        q, k, v, grad = rnd().requires_grad_(), rnd().requires_grad_(), rnd().requires_grad_(), rnd()

        def step(attn):
            def call():
                attn().backward(grad)
                q.grad = k.grad = v.grad = None  # no accumulation across calls
            return call

        def naive():
            return torch.softmax((q @ k.transpose(-2, -1)) * scale, dim=-1) @ v

        rows = []
        if flash is not None:
            def flash_attn():
                with flash():
                    return torch.nn.functional.scaled_dot_product_attention(q, k, v)
            rows.append((f"flash_{L}", "torch SDPA, flash kernel", step(flash_attn)))
        if L <= a.naive_max:
            rows.append((f"naive_{L}", "torch naive softmax(q k^T) v (L x L)", step(naive)))
        for key, label, call in rows:
            try:
                t, peak = measure(torch, call, a, cuda)
            except torch.cuda.OutOfMemoryError if cuda else MemoryError:
                q.grad = k.grad = v.grad = None
                torch.cuda.empty_cache()
                print(f"{key:12s} out of memory", file=sys.stderr)
                out[key] = {"label": label, "L": L, "oom": True}
                continue
            peak_txt = f"peak {peak / 2**20:10.1f} MiB" if peak is not None else ""
            print(f"{key:12s} {t * 1e3:12.3f} ms  {peak_txt}  ({label})", file=sys.stderr)
            out[key] = {"label": label, "L": L, "time_s": t, "peak_bytes": peak}
        del q, k, v, grad
        if cuda:
            torch.cuda.empty_cache()
    text = json.dumps(out, indent=1) + "\n"
    if a.json:
        with open(a.json, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
