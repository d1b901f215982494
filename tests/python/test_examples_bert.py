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
       "--warmup", "0", "--lr", "2e-3", "--epochs", "3"]


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
    # Fine-tuning on longer inputs than the 512 positions: the table grows, the pre-trained rows kept.
    longer = run("finetune", "--data", folder, "--pretrained", tmp_path / "pre", "--out", tmp_path / "fin600",
                 "--max-length", "600", "--batch-size", "8", "--epochs", "1")
    assert longer.returncode == 0, longer.stderr
    assert "512 pre-trained rows extended to 600" in longer.stderr


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


# The C++ trainer of the same build (build/examples/train_bert beside build/python).
BUILD = os.path.abspath(os.path.join(os.path.dirname(models.__file__), "..", "..", ".."))
CPP_TRAINER = os.path.join(BUILD, "examples", "train_bert")


@pytest.mark.skipif(not os.path.isfile(CPP_TRAINER), reason="the C++ train_bert of this build is not built")
def test_python_trainer_matches_cpp_trainer(folder, tmp_path):
    """Same split, vocabulary, packing, initialisation, shuffle order, masks and optimizer: the same losses
    (the C++ log has 6 significant digits)."""
    common = ["--data", folder, "--max-length", "32", "--batch-size", "8", "--threads", "2"]
    # 63 training sequences: 7 batches of 8, 3 steps of 2 per epoch (the 7th batch left out), 5 steps cross
    # into the second epoch.
    pre = ["pretrain", *common, "--model", "tiny", "--vocab-size", "120", "--eval-every", "1", "--max-steps", "5",
           "--accumulation", "2", "--epochs", "3"]
    fin = ["finetune", *common, "--epochs", "2", "--lr", "1e-3", "--patience", "2"]
    cpp = subprocess.run([CPP_TRAINER, *map(str, pre), "--out", str(tmp_path / "c")], capture_output=True, text=True,
                         timeout=600)
    assert cpp.returncode == 0, cpp.stderr
    py = run(*pre, "--out", tmp_path / "p")
    assert py.returncode == 0, py.stderr
    cpp_f = subprocess.run([CPP_TRAINER, *map(str, fin), "--pretrained", str(tmp_path / "c"), "--out",
                            str(tmp_path / "fc")], capture_output=True, text=True, timeout=600)
    assert cpp_f.returncode == 0, cpp_f.stderr
    py_f = run(*fin, "--pretrained", tmp_path / "c", "--out", tmp_path / "fp")
    assert py_f.returncode == 0, py_f.stderr
    for c, p, keys in (("c", "p", ["train_loss", "eval_loss", "eval_accuracy"]),
                       ("fc", "fp", ["train_loss", "val_accuracy", "val_macro_f1"])):
        log = "pretrain_log.csv" if c == "c" else "finetune_log.csv"
        a, b = log_rows(tmp_path / c / log), log_rows(tmp_path / p / log)
        assert len(a) == len(b) > 0
        for ra, rb in zip(a, b):
            for k in keys:
                assert math.isclose(float(ra[k]), float(rb[k]), rel_tol=2e-5, abs_tol=1e-6), (log, k, ra, rb)
    assert cpp_f.stdout.splitlines()[0] == py_f.stdout.splitlines()[0]  # "test accuracy ..., macro-F1 ..."


@pytest.mark.parametrize("trainer", ["python", "cpp"])
def test_budget_fits_the_schedule(folder, tmp_path, trainer):
    """With --max-minutes the schedule's end moves to the steps that fit in the budget: a run whose --epochs
    would take hours ends within its 15 seconds with its learning rate decayed (without the plan it would stay
    at the peak)."""
    if trainer == "cpp" and not os.path.isfile(CPP_TRAINER):
        pytest.skip("the C++ train_bert of this build is not built")
    args = ["pretrain", "--data", folder, "--out", tmp_path / "o", "--model", "tiny", "--max-length", "32",
            "--batch-size", "8", "--vocab-size", "120", "--eval-every", "20", "--lr", "2e-3", "--epochs", "100000",
            "--max-minutes", "0.25", "--threads", "2"]
    r = run(*args) if trainer == "python" else subprocess.run(
        [CPP_TRAINER, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    planned = [int(m) for m in re.findall(r"the budget fits (\d+) steps", r.stderr)]
    assert planned and all(0 < p < 7 * 100000 for p in planned), r.stderr
    rows = log_rows(tmp_path / "o" / "pretrain_log.csv")
    assert int(rows[-1]["step"]) <= planned[-1] + 1
    assert float(rows[-1]["lr"]) < 0.5 * 2e-3, rows[-1]
