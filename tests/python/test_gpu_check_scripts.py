"""The GPU check's host-side scripts, on made-up inputs (no GPU, no torch needed):
benchmarks/gpu/compare_gpu.py (the seek-vs-PyTorch table), scripts/gpu_summary.py
(test counts and the summary's verdict), and the contract that bench_gpu.cpp and
torch_gpu.py time the same workloads under the same names."""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPARE = os.path.join(ROOT, "benchmarks", "gpu", "compare_gpu.py")
SUMMARY = os.path.join(ROOT, "scripts", "gpu_summary.py")


def run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True)


def write_json(path, impl, rows):
    data = {"_meta": {"impl": impl, "device": "Test GPU", "mib": 64, "runs": 15}}
    for name, nbytes, t in rows:
        data[name] = {"label": f"label of {name}", "bytes": nbytes, "time_s": t, "min_s": t, "max_s": t,
                      "calls_per_run": 1}
    path.write_text(json.dumps(data))
    return str(path)


def test_workload_names_match_between_seek_and_torch():
    with open(os.path.join(ROOT, "benchmarks", "gpu", "bench_gpu.cpp")) as f:
        seek_names = re.findall(r'w\.push_back\(\s*\{\s*"([a-z0-9_A-Z]+)"', f.read())
    with open(os.path.join(ROOT, "benchmarks", "gpu", "torch_gpu.py")) as f:
        torch_names = re.findall(r'w\.append\(\s*\(\s*"([a-z0-9_A-Z]+)"', f.read())
    assert len(seek_names) >= 8
    assert seek_names == torch_names


def test_compare_table_ratios_and_missing_rows(tmp_path):
    seek = write_json(tmp_path / "seek.json", "seek",
                      [("copy", 8e6, 2e-3), ("fill", 4e6, 1e-3), ("only_seek", 1, 1e-6)])
    torch = write_json(tmp_path / "torch.json", "torch 2.11",
                       [("copy", 8e6, 1e-3), ("fill", 4e6, 2e-3), ("only_torch", 1, 1e-6)])
    r = run(COMPARE, seek, torch)
    assert r.returncode == 0, r.stderr
    rows = {line.split(" | ")[0][2:]: line for line in r.stdout.splitlines() if line.startswith("| label of")}
    assert "| 2.000 ms | 1.000 ms | 2.00 | 4.0 | 8.0 |" in rows["label of copy"]
    assert "| 0.50 |" in rows["label of fill"]
    assert "(not run)" in rows["label of only_seek"] and "(not run)" in rows["label of only_torch"]
    assert "Test GPU" in r.stdout and "torch 2.11" in r.stdout


def test_compare_flags_workloads_whose_sizes_differ(tmp_path):
    seek = write_json(tmp_path / "seek.json", "seek", [("copy", 8e6, 1e-3)])
    torch = write_json(tmp_path / "torch.json", "torch", [("copy", 4e6, 1e-3)])
    r = run(COMPARE, seek, torch)
    assert r.returncode == 1
    assert "sizes differ" in r.stdout


def test_compare_without_results_fails(tmp_path):
    r = run(COMPARE, str(tmp_path / "none.json"), str(tmp_path / "none2.json"))
    assert r.returncode == 1
    assert "neither benchmark produced results" in r.stderr


GTEST_XML = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" failures="1" disabled="0" errors="0" name="AllTests">
  <testsuite name="TensorCore" tests="4">
    <testcase name="MmaBf16" status="run" result="completed" classname="TensorCore" />
    <testcase name="MmaF16" status="run" result="completed" classname="TensorCore" />
    <testcase name="Ldmatrix" status="run" result="completed" classname="TensorCore">
      <failure message="tensor_core.cu:42&#x0A;lane 3 differs" type=""></failure>
    </testcase>
    <testcase name="Wgmma" status="run" result="skipped" classname="TensorCore">
      <skipped message="needs sm_90a"></skipped>
    </testcase>
  </testsuite>
</testsuites>
"""


def make_outdir(tmp_path, phases, gpu="NVIDIA H100 80GB HBM3", name="out"):
    out = tmp_path / name
    out.mkdir()
    (out / "phases.tsv").write_text("phase\tstatus\tseconds\tdetail\n" +
                                    "".join(f"{n}\t{s}\t1.0\t{d}\n" for n, s, d in phases))
    (out / "env.tsv").write_text(f"gpu\t{gpu}\narch\t90\n")
    (out / "tensorcore.xml").write_text(GTEST_XML)
    return out


def test_summary_counts_passed_failed_skipped(tmp_path):
    out = make_outdir(tmp_path, [])
    r = run(SUMMARY, "--counts", str(out / "tensorcore.xml"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["2", "1", "1"]
    assert run(SUMMARY, "--counts", str(out / "missing.xml")).returncode == 1


def test_summary_names_failed_phases_and_tests(tmp_path):
    out = make_outdir(tmp_path, [("build", "pass", ""), ("tensorcore", "fail", "exit status 1"),
                                 ("memcheck", "refused", "Error: Device not supported"), ("bench", "timeout", "")])
    r = run(SUMMARY, str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "# seek GPU check: FAILED (tensorcore, bench)"
    text = (out / "summary.md").read_text()
    assert "| tensorcore | fail | 1.0 | 2 | 1 | 1 | exit status 1 |" in text
    assert "`TensorCore.Ldmatrix`: tensor_core.cu:42" in text
    assert "memcheck: refused: Error: Device not supported" in text
    assert "NVIDIA H100 80GB HBM3 (sm_90)" in text


def test_summary_verdicts_without_failures(tmp_path):
    out = make_outdir(tmp_path, [("build", "pass", ""), ("memcheck", "refused", "")])
    assert run(SUMMARY, str(out)).stdout.strip() == "# seek GPU check: PASSED"
    out2 = make_outdir(tmp_path, [("build", "pass", ""), ("tensorcore", "skip", "no GPU visible")],
                       gpu="none visible", name="out2")
    assert run(SUMMARY, str(out2)).stdout.strip() == "# seek GPU check: NO GPU: nothing was checked on a GPU"
