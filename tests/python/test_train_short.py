"""Short training runs from Python: a Python-defined model learns, state_dict round trips
through numpy, and the C++ model zoo trains through the same API."""
import os

import numpy as np
import pytest

import seek
import seek.nn as nn
import seek.nn.functional as F
from seek import data, optim


FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 16)
        self.out = nn.Linear(16, 2)
        self.temperature = nn.Parameter(seek.ones(1))

    def forward(self, x):
        return self.out(F.relu(self.hidden(x))) / self.temperature


def two_blobs(n=256):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 2)) * 0.5 + np.where(y[:, None] == 1, 1.5, -1.5)
    return seek.from_numpy(x.astype(np.float32)), seek.from_numpy(y.astype(np.int64))


def test_python_mlp_learns_with_dataloader_and_scheduler():
    seek.manual_seed(0)
    x, y = two_blobs()
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
    model = MLP()
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=16, gamma=0.5)
    with seek.no_grad():
        first = F.cross_entropy(model(x), y).item()
    for epoch in range(4):
        loader.set_epoch(epoch)
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    with seek.no_grad():
        logits = model(x)
        last = F.cross_entropy(logits, y).item()
        accuracy = logits.argmax(1).eq(y).float().mean().item()
    assert last < 0.5 * first
    assert accuracy > 0.95
    assert opt.param_groups[0]["lr"] < 0.2


def test_state_dict_round_trip_through_numpy():
    seek.manual_seed(1)
    a, b = MLP(), MLP()
    x, _ = two_blobs(8)
    saved = {k: v.detach().numpy().copy() for k, v in a.state_dict().items()}
    b.load_state_dict({k: seek.from_numpy(v) for k, v in saved.items()})
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_small_cnn_with_batchnorm_reduces_loss():
    seek.manual_seed(2)

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                                          nn.MaxPool2d(2))
            self.head = nn.Linear(4 * 4 * 4, 3)

        def forward(self, x):
            return self.head(self.features(x).flatten(1))

    x = seek.randn(24, 1, 8, 8)
    y = seek.randint(0, 3, (24,))
    model = CNN()
    opt = optim.AdamW(model.parameters(), lr=0.05)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        seek.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert model.features[1].num_batches_tracked.item() == 15


def test_resnet20_forward_backward_step():
    seek.manual_seed(3)
    model = seek.models.resnet20(num_classes=10, in_channels=1)
    assert model.num_parameters() == 272474 - 16 * 2 * 9
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x, y = seek.randn(4, 1, 28, 28), seek.tensor([0, 1, 2, 3])
    before = model.fc.weight.detach().clone()
    loss = F.cross_entropy(model(x), y, label_smoothing=0.05)
    loss.backward()
    opt.step()
    assert loss.item() > 0
    assert not seek.allclose(model.fc.weight, before)
    assert "layer1.0.conv1.weight" in model.state_dict()


def test_example_trainer_reports_missing_data_and_bad_flags():
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python", "train_resnet.py")
    missing = subprocess.run([sys.executable, script, "--data", "/nonexistent/fashion-mnist"], capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad = subprocess.run([sys.executable, script, "--epochs", "0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--epochs must be >= 1" in bad.stderr


@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST), reason="Fashion-MNIST is not installed")
@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_example_trainer_runs_with_mixed_precision(amp):
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python", "train_resnet.py")
    run = subprocess.run([sys.executable, script, "--epochs", "1", "--limit-train", "256", "--limit-test", "100",
                          "--batch-size", "64", "--amp", amp], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"amp {amp}" in run.stderr
    assert "final test accuracy" in run.stdout
