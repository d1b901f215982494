"""Joins bench_gpu's and torch_gpu.py's JSON results into one markdown table.

    compare_gpu.py SEEK_JSON TORCH_JSON

A row per workload either side ran, in the seek file's order; the ratio is seek's
median time over PyTorch's (above 1: seek is slower). A workload whose byte counts
differ between the two files is flagged: the two programs disagree on its shape.
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"compare_gpu: cannot read {path}: {e}", file=sys.stderr)
        return {}


def fmt_time(s):
    return f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} us"


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 1
    seek, torch = load(sys.argv[1]), load(sys.argv[2])
    if not seek and not torch:
        print("compare_gpu: neither benchmark produced results", file=sys.stderr)
        return 1
    sm, tm = seek.get("_meta", {}), torch.get("_meta", {})
    print(f"seek on {sm.get('device', '(did not run)')}; {tm.get('impl', 'torch')} on "
          f"{tm.get('device', '(did not run)')}; median of {sm.get('runs', tm.get('runs', '?'))} timed batches each.\n")
    print("| workload | seek | torch | seek / torch time | seek GB/s | torch GB/s |")
    print("|---|---:|---:|---:|---:|---:|")
    names = [n for n in seek if not n.startswith("_")]
    names += [n for n in torch if not n.startswith("_") and n not in seek]
    bad = 0
    for n in names:
        s, t = seek.get(n), torch.get(n)
        label = (s or t)["label"]
        if s and t and s["bytes"] != t["bytes"]:
            label += f" (**sizes differ**: seek {s['bytes']:.0f} B, torch {t['bytes']:.0f} B)"
            bad += 1
        cells = [fmt_time(x["time_s"]) if x else "(not run)" for x in (s, t)]
        ratio = f"{s['time_s'] / t['time_s']:.2f}" if s and t else ""
        bw = [f"{x['bytes'] / x['time_s'] / 1e9:.1f}" if x else "" for x in (s, t)]
        print(f"| {label} | {cells[0]} | {cells[1]} | {ratio} | {bw[0]} | {bw[1]} |")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
