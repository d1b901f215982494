"""Joins bench_lsh's (seek) and torch_lsh.py's (PyTorch) JSON into one markdown table.

    compare_lsh.py SEEK_JSON TORCH_JSON

A row per sequence length: forward + backward time and peak extra memory of seek's LSH
attention, PyTorch's flash SDPA and naive attention (and seek's own full attention where it
ran), then LSH's time over flash's and naive's (below 1: LSH is faster) and LSH's peak memory
as a share of naive attention's and of seek's full attention's (the issue's goal at L = 1024:
at most 35 % of naive attention's).
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"compare_lsh: cannot read {path}: {e}", file=sys.stderr)
        return {}


def cell(row):
    if not row:
        return "(not run)"
    if row.get("oom"):
        return "out of memory"
    t = f"{row['time_s'] * 1e3:.2f} ms"
    return t + (f", {row['peak_bytes'] / 2**20:.0f} MiB" if row.get("peak_bytes") is not None else "")


def ratio(a, b, key):
    if not a or not b or a.get(key) is None or b.get(key) is None or b[key] == 0:
        return ""
    return f"{a[key] / b[key]:.2f}"


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 1
    seek, torch = load(sys.argv[1]), load(sys.argv[2])
    if not seek and not torch:
        print("compare_lsh: neither benchmark produced results", file=sys.stderr)
        return 1
    sm, tm = seek.get("_meta", {}), torch.get("_meta", {})
    print(f"seek on {sm.get('device', '(did not run)')}; {tm.get('impl', 'torch')} on {tm.get('device', '(did not run)')}; "
          f"{sm.get('dtype', tm.get('dtype', '?'))}, [1, {sm.get('heads', tm.get('heads', '?'))}, L, "
          f"{sm.get('dim', tm.get('dim', '?'))}], forward + backward, median of {sm.get('runs', '?')} calls.\n")
    print("| L | seek LSH | torch flash SDPA | torch naive | seek full | LSH / flash time | LSH / naive time "
          "| LSH / naive peak memory | LSH / seek full peak memory |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lengths = sorted({r["L"] for d in (seek, torch) for k, r in d.items() if not k.startswith("_")})
    for L in lengths:
        lsh, full = seek.get(f"lsh_{L}"), seek.get(f"full_{L}")
        flash, naive = torch.get(f"flash_{L}"), torch.get(f"naive_{L}")
        mem, own = ratio(lsh, naive, "peak_bytes"), ratio(lsh, full, "peak_bytes")
        print(f"| {L} | {cell(lsh)} | {cell(flash)} | {cell(naive)} | {cell(full)} | {ratio(lsh, flash, 'time_s')} "
              f"| {ratio(lsh, naive, 'time_s')} | {mem and f'{100 * float(mem):.0f} %'} "
              f"| {own and f'{100 * float(own):.0f} %'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
