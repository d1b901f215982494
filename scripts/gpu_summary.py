"""Writes OUTDIR/summary.md for scripts/gpu_check.sh from what its phases left in OUTDIR.

    gpu_summary.py OUTDIR
    gpu_summary.py --counts REPORT.xml     prints "passed failed skipped" of one GoogleTest report

Reads phases.tsv (phase, status, seconds, detail), env.tsv (the machine), the GoogleTest
XML of each test phase (<phase>.xml: passed / failed / skipped counts and the failures),
the sanitizer logs and bench/table.md, and prints the summary's first line.
"""
import csv
import os
import sys
import xml.etree.ElementTree as ET


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter="\t"))


def gtest_counts(path):
    """(passed, failed, skipped, [(test, first line of its failure)]) or None without a report."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed = failed = skipped = 0
    failures = []
    for case in root.iter("testcase"):
        fails = case.findall("failure")
        if fails:
            failed += 1
            msg = (fails[0].get("message") or "").strip().splitlines()
            failures.append((f"{case.get('classname')}.{case.get('name')}", msg[0] if msg else ""))
        elif case.get("result") == "skipped" or case.find("skipped") is not None or case.get("status") == "notrun":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, failures


def skip_reason(path):
    """The first skip message of a report (e.g. 'no CUDA GPU visible: ...')."""
    try:
        for case in ET.parse(path).getroot().iter("testcase"):
            s = case.find("skipped")
            if s is not None and (s.get("message") or "").strip():
                return s.get("message").strip().splitlines()[-1][:120]
    except (OSError, ET.ParseError):
        pass
    return ""


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--counts":
        counts = gtest_counts(sys.argv[2])
        if counts is None:
            return 1
        print(*counts[:3])
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    out = sys.argv[1]
    phases = read_tsv(os.path.join(out, "phases.tsv"))[1:]
    env = dict(row[:2] for row in read_tsv(os.path.join(out, "env.tsv")) if len(row) >= 2)
    bad = [p for p in phases if p[1] in ("fail", "timeout")]
    no_gpu = env.get("gpu", "none visible") == "none visible"
    verdict = (f"FAILED ({', '.join(p[0] for p in bad)})" if bad
               else "NO GPU: nothing was checked on a GPU" if no_gpu else "PASSED")

    lines = [f"# seek GPU check: {verdict}", ""]
    lines.append(f"GPU {env.get('gpu', '?')} (sm_{env.get('arch', '?')}), driver {env.get('driver', '?')}; "
                 f"nvcc {env.get('nvcc', '?')}; {env.get('c++', '?')}; {env.get('cmake', '?')}; "
                 f"{env.get('cores', '?')} cores; {env.get('host', '?')}; commit {env.get('commit', '?')}; "
                 f"{env.get('total_seconds', '?')} s in all.")
    lines += ["", "## Phases", "",
              "| phase | status | seconds | passed | failed | skipped | detail |", "|---|---|---:|---:|---:|---:|---|"]
    all_failures = []
    for name, status, seconds, detail in (p + [""] * (4 - len(p)) for p in phases):
        counts = gtest_counts(os.path.join(out, f"{name}.xml"))
        cells = ["", "", ""]
        if counts:
            passed, failed, skipped, failures = counts
            cells = [str(passed), str(failed), str(skipped)]
            all_failures += [(name, t, m) for t, m in failures]
            if skipped and not passed and not failed:
                detail += f" (skipped: {skip_reason(os.path.join(out, f'{name}.xml'))})"
            elif passed + failed + skipped == 0 and not detail:
                detail = "no test matched"
        lines.append(f"| {name} | {status} | {seconds} | {' | '.join(cells)} | {detail.replace('|', '/')} |")

    if all_failures:
        lines += ["", "## Failed tests", ""]
        lines += [f"- {phase}: `{test}`: {msg}" for phase, test, msg in all_failures[:40]]
        if len(all_failures) > 40:
            lines.append(f"- ... and {len(all_failures) - 40} more (see the phases' logs)")

    lines += ["", "## Sanitizers", ""]
    for tool in ("memcheck", "racecheck"):
        row = next((p for p in phases if p[0] == tool), None)
        log = os.path.join(out, f"{tool}.log")
        found = []
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                found = [ln.rstrip() for ln in f if ln.startswith("=========") and
                         any(k in ln for k in ("Invalid", "Race", "hazard", "Hazard", "SUMMARY", "Error"))]
        status = f"{row[1]}: {row[3]}" if row else "not run"
        lines.append(f"- {tool}: {status}")
        lines += [f"  - `{ln[:200]}`" for ln in found[:15]]

    lines += ["", "## Benchmarks (seek and PyTorch on the same GPU)", ""]
    table = os.path.join(out, "bench", "table.md")
    if os.path.exists(table) and os.path.getsize(table) > 0:
        with open(table) as f:
            lines.append(f.read().rstrip())
    else:
        lines.append("(no benchmark results: see bench.log)")
    extra_tables = (("conv_bn_table.md", "Fused conv + BN + ReLU against PyTorch's three ops"),  # run_conv_bn.sh
                    ("lsh_table.md", "LSH attention against flash SDPA and naive attention"),  # run_lsh.sh
                    ("bert_table.md", "BERT-base MLM training against PyTorch eager"))  # run_bert.sh
    for name, title in extra_tables:
        path = os.path.join(out, "bench", name)
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                lines += ["", f"### {title}", "", f.read().rstrip()]

    lines += ["", "## Raw logs", ""]
    for root, _, files in sorted(os.walk(out)):
        for fn in sorted(files):
            if fn != "summary.md":
                lines.append(f"- {os.path.relpath(os.path.join(root, fn), out)}")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(lines[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
