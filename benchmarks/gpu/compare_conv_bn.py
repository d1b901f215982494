"""Markdown table of bench_conv_bn (seek fused / unfused) and torch_conv_bn.py (PyTorch conv -> BN -> ReLU) JSON:
per shape the three times and the speedups of seek's fused block over PyTorch and over seek's own three ops.

    compare_conv_bn.py SEEK_JSON TORCH_JSON
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 1
    seek = json.load(open(sys.argv[1]))
    try:
        torch = json.load(open(sys.argv[2]))
    except (OSError, ValueError):
        torch = {"_meta": {}}
    sm, tm = seek.get("_meta", {}), torch.get("_meta", {})
    print(f"seek: {sm.get('device')} {sm.get('dtype')} batch {sm.get('batch')} {sm.get('layout')}; "
          f"torch: {tm.get('impl', 'not run')}\n")
    print("| shape (cin_cout_kKsS_H) | torch conv->BN->ReLU ms | torch conv alone ms | seek unfused ms "
          "| seek fused ms | torch / fused | unfused / fused |")
    print("|---|---|---|---|---|---|---|")
    for name, row in seek.items():
        if name.startswith("_"):
            continue
        f, u = row["fused_s"], row["unfused_s"]
        t = torch.get(name, {}).get("torch_s")
        c = tm.get("conv_s", {}).get(name)
        ms = lambda v: f"{v * 1e3:.3f}" if v else "-"
        print(f"| {name[7:]} | {ms(t)} | {ms(c)} | {ms(u)} | {ms(f)} | {f'{t / f:.2f}x' if t else '-'} | {u / f:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
