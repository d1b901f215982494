"""seek.cuda's CUDA graphs as torch.cuda's: seek.cuda.CUDAGraph, the seek.cuda.graph context
manager, graph_pool_handle and is_current_stream_capturing. Captured ops replayed on new static
inputs equal eager execution; a training step captured with torch's recipe (warm-up on a side
stream, static input and target, zero_grad(set_to_none=True) before the capture) and replayed
gives bit for bit the parameters of the same eager steps; host reads inside a capture raise.
Every test skips where seek.cuda.is_available() is False."""
import numpy as np
import pytest

import seek
import seek.nn as nn

pytestmark = pytest.mark.skipif(not seek.cuda.is_available(),
                                reason="seek.cuda.is_available() is False: no CUDA build or no device visible")


def rand(*shape, seed):
    return seek.tensor(np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(np.float32)).cuda()


def test_captured_ops_replay_on_new_static_inputs():
    x = rand(4, 6, seed=1)
    w = rand(6, 3, seed=2)
    g = seek.cuda.CUDAGraph()
    with seek.cuda.graph(g):
        assert seek.cuda.is_current_stream_capturing()
        y = (x @ w).relu() * 2 + 1
    assert not seek.cuda.is_current_stream_capturing()
    for seed in (5, 6, 7):
        x.copy_(rand(4, 6, seed=seed))
        g.replay()
        want = (x @ w).relu() * 2 + 1
        assert np.array_equal(y.cpu().numpy(), want.cpu().numpy())


def test_replay_runs_the_work_once_each_time():
    z = seek.zeros(5, device="cuda")
    g = seek.cuda.CUDAGraph()
    with seek.cuda.graph(g):
        z.add_(1)
    assert z.cpu().tolist() == [0.0] * 5
    g.replay()
    g.replay()
    assert z.cpu().tolist() == [2.0] * 5
    g.reset()
    with pytest.raises(RuntimeError, match="nothing captured"):
        g.replay()


@pytest.mark.parametrize("read", ["item", "cpu", "print"])
def test_host_reads_inside_a_capture_raise_and_drop_it(read):
    x = seek.ones(3, device="cuda")
    g = seek.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="captured into a CUDA graph"):
        with seek.cuda.graph(g):
            y = x * 2
            if read == "item":
                y.sum().item()
            elif read == "cpu":
                y.cpu()
            else:
                str(y)
    assert not seek.cuda.is_current_stream_capturing()
    assert (x * 2).cpu().tolist() == [2.0] * 3


def test_capture_needs_a_side_stream_and_a_known_mode():
    g = seek.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="default stream"):
        g.capture_begin()
    with pytest.raises(ValueError, match="capture_error_mode"):
        with seek.cuda.graph(g, capture_error_mode="sometimes"):
            pass
    with seek.cuda.graph(g, capture_error_mode="relaxed"):
        seek.ones(2, device="cuda").mul_(3)


def test_graphs_share_a_pool():
    x = seek.ones(8, device="cuda")
    a, b = seek.cuda.CUDAGraph(), seek.cuda.CUDAGraph()
    with seek.cuda.graph(a):
        ya = x * 2
    with seek.cuda.graph(b, pool=a.pool()):
        yb = ya + 1
    assert a.pool() == b.pool()
    assert seek.cuda.graph_pool_handle() != seek.cuda.graph_pool_handle()
    x.fill_(4)
    a.replay()
    b.replay()
    assert yb.cpu().tolist() == [9.0] * 8


def make_model():
    seek.manual_seed(3)
    return nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 2)).cuda()


def test_replayed_training_step_equals_eager_steps_bitwise():
    warmup, steps = 3, 5
    data = [(rand(6, 5, seed=10 + i), rand(6, 2, seed=50 + i)) for i in range(warmup + steps)]

    eager = make_model()
    opt = seek.optim.SGD(eager.parameters(), lr=0.05, momentum=0.9)
    for x, t in data:
        opt.zero_grad(set_to_none=True)
        nn.functional.mse_loss(eager(x), t).backward()
        opt.step()

    model = make_model()
    opt = seek.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    static_x, static_t = seek.zeros(6, 5, device="cuda"), seek.zeros(6, 2, device="cuda")
    side = seek.cuda.Stream()
    side.wait_stream(seek.cuda.current_stream())
    with seek.cuda.stream(side):
        for x, t in data[:warmup]:
            static_x.copy_(x)
            static_t.copy_(t)
            opt.zero_grad(set_to_none=True)
            nn.functional.mse_loss(model(static_x), static_t).backward()
            opt.step()
    seek.cuda.current_stream().wait_stream(side)

    g = seek.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with seek.cuda.graph(g):
        static_loss = nn.functional.mse_loss(model(static_x), static_t)
        static_loss.backward()
        opt.step()
    for x, t in data[warmup:]:
        static_x.copy_(x)
        static_t.copy_(t)
        g.replay()
    for p, q in zip(model.parameters(), eager.parameters()):
        assert np.array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())
    assert static_loss.item() > 0


def test_non_capturable_adam_step_refuses_capture():
    p = seek.ones(3, device="cuda", requires_grad=True)
    opt = seek.optim.Adam([p], lr=0.1)
    p.sum().backward()
    g = seek.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="cannot be captured into a CUDA graph"):
        with seek.cuda.graph(g):
            opt.step()


@pytest.mark.parametrize("opt_class", [seek.optim.Adam, seek.optim.AdamW])
def test_capturable_adam_replays_like_eager_steps(opt_class):
    data = [(rand(6, 5, seed=80 + i), rand(6, 2, seed=90 + i)) for i in range(5)]
    eager = make_model()
    opt = opt_class(eager.parameters(), lr=0.01, capturable=True)
    for x, t in data:
        opt.zero_grad(set_to_none=True)
        nn.functional.mse_loss(eager(x), t).backward()
        opt.step()

    model = make_model()
    opt = opt_class(model.parameters(), lr=0.01, capturable=True)
    static_x, static_t = data[0][0].clone(), data[0][1].clone()
    with seek.cuda.stream(seek.cuda.Stream()):
        opt.zero_grad(set_to_none=True)
        nn.functional.mse_loss(model(static_x), static_t).backward()
        opt.step()
    g = seek.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with seek.cuda.graph(g):
        nn.functional.mse_loss(model(static_x), static_t).backward()
        opt.step()
    for x, t in data[1:]:
        static_x.copy_(x)
        static_t.copy_(t)
        g.replay()
    for p, q in zip(model.parameters(), eager.parameters()):
        assert np.array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())
