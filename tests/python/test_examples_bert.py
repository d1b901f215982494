"""examples/python/train_bert.py on a tiny generated text folder: pre-training for a few steps writes the
C++ trainer's files (a model that loads with from_pretrained) and its held-out loss falls, the same seed
gives the same losses, fine-tuning from it prints the test accuracy line, and bad input exits with 2."""
import csv
import math
import os
import random
import re
import subprocess
import sys

import pytest

from seek import models

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python", "train_bert.py")
WORDS = {
    "animals": "the cat sat on a mat while the dog ran after a ball in the garden and birds sang".split(),
    "machines": "an engine turns the wheel while gears grind and a motor hums inside the old factory".split(),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("bert_docs")
    rng = random.Random(7)
    for cls, words in WORDS.items():
        os.makedirs(root / cls)
        for i in range(20):
            text = " ".join(rng.choice(words) for _ in range(60)) + "."
            (root / cls / f"{i:03d}.txt").write_text(text)
    return root


def run(*args):
    env = dict(os.environ, OMP_NUM_THREADS="2")
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env=env)


PRE = ["--model", "tiny", "--max-length", "32", "--batch-size", "8", "--vocab-size", "120", "--eval-every", "1",
       "--warmup", "0", "--lr", "2e-3"]


def log_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_pretrain_then_finetune(folder, tmp_path):
    pre = run("pretrain", "--data", folder, "--out", tmp_path / "pre", "--max-steps", "12", *PRE)
    assert pre.returncode == 0, pre.stderr
    assert re.search(r"^pretrained 12 steps in [0-9.]+ min; held-out MLM loss [0-9.]+", pre.stdout, re.M), pre.stdout
    rows = log_rows(tmp_path / "pre" / "pretrain_log.csv")
    assert [int(r["step"]) for r in rows] == list(range(1, 13))
    first, last = float(rows[0]["eval_loss"]), float(rows[-1]["eval_loss"])
    assert math.isfinite(first) and last < first - 0.5, (first, last)
    # The files are the C++ trainer's: config.json + model.safetensors load as a Hugging Face folder.
    mlm = models.BertForMaskedLM.from_pretrained(str(tmp_path / "pre"))
    assert mlm.config.vocab_size == len(open(tmp_path / "pre" / "vocab.txt").read().split("\n")) - 1
    assert mlm.config.num_hidden_layers == 2 and mlm.config.hidden_size == 128

    fin = run("finetune", "--data", folder, "--pretrained", tmp_path / "pre", "--out", tmp_path / "fin",
              "--max-length", "32", "--batch-size", "8", "--epochs", "2", "--lr", "1e-3")
    assert fin.returncode == 0, fin.stderr
    m = re.search(r"^test accuracy ([0-9.]+)%, macro-F1 ([0-9.]+) \(best validation epoch [12]\)$", fin.stdout, re.M)
    assert m, fin.stdout
    assert 0 <= float(m.group(1)) <= 100 and 0 <= float(m.group(2)) <= 1
    assert "on 32 articles, validating on 4, testing on 4" in fin.stderr
    assert len(log_rows(tmp_path / "fin" / "finetune_log.csv")) in (1, 2)
    confusion = [line.split() for line in fin.stdout.splitlines()[-2:]]
    assert sum(int(x) for row in confusion for x in row) == 4


def test_same_seed_same_losses(folder, tmp_path):
    losses = []
    for name in ("a", "b"):
        r = run("pretrain", "--data", folder, "--out", tmp_path / name, "--max-steps", "3", *PRE)
        assert r.returncode == 0, r.stderr
        losses.append([(row["train_loss"], row["eval_loss"]) for row in log_rows(tmp_path / name / "pretrain_log.csv")])
    assert len(losses[0]) == 3 and losses[0] == losses[1]


def test_bad_input_exits_with_2(tmp_path):
    missing = run("pretrain", "--data", "/nonexistent/bbc")
    assert missing.returncode == 2 and "no text folder at /nonexistent/bbc" in missing.stderr
    bad = run("finetune", "--epochs", "0")
    assert bad.returncode == 2 and "--epochs must be >= 1" in bad.stderr
    no_model = run("finetune", "--data", tmp_path, "--pretrained", tmp_path / "none_here")
    assert no_model.returncode == 2 and "no pre-trained model folder" in no_model.stderr
