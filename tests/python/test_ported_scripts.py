"""PyTorch scripts run with only their imports changed (issue 12's promise, checked as a user would).

tests/python/ported/ holds small PyTorch scripts in the shape of well-known public examples
(quickstart, MNIST, VAE, DCGAN, word language model, time-sequence prediction, a CIFAR ResNet
trainer), written for `torch` and checked to run under PyTorch 1.13 (each exits 0 when it learned
what it should). This test rewrites their import lines only (`import torch` -> `import seek as
torch`, `torch.x` -> `seek.x`, `torchvision` -> `seek.vision`), runs each in a fresh interpreter
and requires exit status 0.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest
import seek

PORTED = pathlib.Path(__file__).resolve().parent / "ported"
SCRIPTS = sorted(p.name for p in PORTED.glob("*.py"))


def port_imports(source):
    """The only edit a user makes: the import lines."""
    lines = []
    for line in source.splitlines():
        if re.match(r"\s*(import|from)\s+torch", line):
            line = re.sub(r"\btorchvision\b", "seek.vision", line)
            line = re.sub(r"(?<![.\w])torch\b(?!\s*$)|^(\s*import\s+)torch$", lambda m: (m.group(1) or "") + "seek",
                          line)
            if re.fullmatch(r"\s*import seek", line):
                line += " as torch"
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_port_changes_only_import_lines():
    assert port_imports("import torch\n") == "import seek as torch\n"
    assert port_imports("import torch.nn as nn\n") == "import seek.nn as nn\n"
    assert port_imports("from torch.utils.data import DataLoader\n") == "from seek.utils.data import DataLoader\n"
    assert port_imports("import torchvision.transforms as T\n") == "import seek.vision.transforms as T\n"
    assert port_imports("from torch import nn, optim\n") == "from seek import nn, optim\n"
    for name in SCRIPTS:
        src = (PORTED / name).read_text().splitlines()
        dst = port_imports("\n".join(src)).splitlines()
        changed = [a for a, b in zip(src, dst) if a != b]
        assert changed and all(re.match(r"\s*(import|from) ", a) for a in changed), name


def test_all_scripts_found():
    assert len(SCRIPTS) >= 7, SCRIPTS


def _cuda_runs_a_training_step():
    """Why a script cannot run on the (possibly simulated) GPU, or None when it can: a conv net's
    forward and backward on CUDA tensors, the ops the ported scripts need."""
    if not seek.cuda.is_available():
        return "no CUDA device visible"
    try:
        x = seek.randn(2, 3, 8, 8, device="cuda")
        conv = seek.nn.Conv2d(3, 4, 3).to("cuda")
        loss = seek.nn.functional.cross_entropy(conv(x).relu().mean((2, 3)), seek.tensor([0, 1], device="cuda"))
        loss.backward()
    except RuntimeError as e:
        return f"the CUDA backend cannot train yet: {e}"
    return None


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("name", SCRIPTS)
def test_script_runs_with_only_imports_changed(name, device, tmp_path):
    env = dict(os.environ)
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""  # the scripts pick the GPU when one is visible
    else:
        why = _cuda_runs_a_training_step()
        if why:
            pytest.skip(why)
    script = tmp_path / name
    script.write_text(port_imports((PORTED / name).read_text()))
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, f"{name} exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n" \
                                 f"{proc.stderr[-3000:]}"
