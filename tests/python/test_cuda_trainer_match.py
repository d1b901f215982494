"""The Trainer on the CUDA device (the simulated one in CI) against the same run on the CPU: a
small CNN (conv - batch norm - relu - max pool - linear) trained for 5 SGD-with-momentum steps
from the same seed and data; every step's loss and every final state_dict entry agree within
1e-4 in f32 and 3e-2 under bf16 autocast (relative to max(1, |value|); tests/cuda/test_trainer_cuda.cpp
does the same in C++; on the simulated device both modes agree to about 1e-7, the bf16 margin is for
a GPU's libraries; TF32 stays off for the comparison). Also seek.backends' switches reach the C++ flags."""
import numpy as np
import pytest

import seek
import seek.nn as nn
from seek import _C, data, optim
from seek.train import Trainer

needs_cuda = pytest.mark.skipif(not seek.cuda.is_available(), reason="no CUDA device (seek.cuda.is_available())")


def small_cnn():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 4 * 4, 5))


def train_on(device, amp):
    seek.backends.cudnn.allow_tf32 = False  # restored by the caller
    seek.manual_seed(5)
    model = small_cnn().to(device)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(17)
    x = seek.from_numpy(rng.uniform(-1, 1, (20, 3, 8, 8)).astype(np.float32))
    y = seek.from_numpy((np.arange(20) * 7 + 3) % 5)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=4)
    trainer = Trainer(model, opt, loader, epochs=1, eval_every_epochs=0, device=device, amp=amp, progress=False)
    trainer.fit()
    state = {k: v.to("cpu").double().numpy() for k, v in model.state_dict().items()}
    return list(trainer.step_losses), state


@needs_cuda
@pytest.mark.parametrize("amp,tol", [("", 1e-4), ("bf16", 3e-2)])
def test_small_cnn_trains_the_same_on_cuda_and_cpu(amp, tol):
    try:
        cpu_losses, cpu_state = train_on("cpu", amp)
        cuda_losses, cuda_state = train_on("cuda", amp)
    finally:
        seek.backends.cudnn.allow_tf32 = True
    assert len(cpu_losses) == len(cuda_losses) == 5
    assert cpu_losses[0] != cpu_losses[-1]
    for a, b in zip(cpu_losses, cuda_losses):
        assert abs(a - b) <= tol * max(1.0, abs(a))
    assert list(cpu_state) == list(cuda_state)
    for k in cpu_state:
        err = np.abs(cuda_state[k] - cpu_state[k]) / np.maximum(1.0, np.abs(cpu_state[k]))
        assert err.max() <= tol, k


def test_backend_flags_reach_cpp():
    import seek.backends.cudnn as cudnn

    saved = (cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32, cudnn.enabled, cudnn.benchmark_limit)
    try:
        assert (cudnn.benchmark, cudnn.deterministic) == (False, False)
        assert cudnn.allow_tf32 is True and cudnn.enabled is True and cudnn.benchmark_limit == 10
        seek.backends.cudnn.benchmark = True
        cudnn.deterministic = 1
        cudnn.allow_tf32 = False
        cudnn.benchmark_limit = 0
        assert _C._backends.get_flag("cudnn.benchmark") is True
        assert _C._backends.get_flag("cudnn.deterministic") is True
        assert _C._backends.get_flag("cudnn.allow_tf32") is False
        assert _C._backends.get_benchmark_limit() == 0 and cudnn.benchmark_limit == 0
        with pytest.raises(ValueError):
            cudnn.benchmark_limit = -1
    finally:
        (cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32, cudnn.enabled, cudnn.benchmark_limit) = saved
    assert _C._backends.get_flag("cudnn.benchmark") is False


def test_float32_matmul_precision_and_allow_tf32():
    assert seek.backends.cuda.matmul.allow_tf32 is False
    assert seek.get_float32_matmul_precision() == "highest"
    try:
        seek.set_float32_matmul_precision("high")
        assert seek.backends.cuda.matmul.allow_tf32 is True
        assert _C._backends.get_flag("cuda.matmul.allow_tf32") is True
        seek.set_float32_matmul_precision("medium")
        assert seek.get_float32_matmul_precision() == "medium"
        seek.backends.cuda.matmul.allow_tf32 = False
        assert seek.get_float32_matmul_precision() == "highest"
        with pytest.raises(ValueError, match="highest"):
            seek.set_float32_matmul_precision("fastest")
        with pytest.raises(AttributeError):
            seek.backends.cuda.matmul.allow_fp16 = True
    finally:
        seek.set_float32_matmul_precision("highest")
