"""seek.optim from Python: update rules against numpy float64, param_groups as writable
dicts, state_dict round trips, schedulers (C++ and Python) and gradient clipping."""
import math

import numpy as np
import pytest

import seek
from seek import optim
from seek.optim import lr_scheduler


def param(values):
    return seek.tensor(values, dtype=seek.float64).requires_grad_(True)


def set_grad(p, g):
    """Gives p the gradient g via backward of sum(p * g)."""
    p.grad = None
    (p * seek.tensor(g, dtype=seek.float64)).sum().backward()


def vals(t):
    return np.array(t.detach().tolist())


def test_sgd_momentum_nesterov_weight_decay_matches_numpy():
    p = param([1.0, -2.0, 0.5])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
    ref, buf = np.array([1.0, -2.0, 0.5]), None
    for grad in ([0.3, -0.1, 0.2], [0.1, 0.4, -0.5], [-0.2, 0.2, 0.1]):
        set_grad(p, grad)
        opt.step()
        g = np.array(grad) + 0.01 * ref
        buf = g.copy() if buf is None else 0.9 * buf + g
        ref = ref - 0.1 * (g + 0.9 * buf)
        np.testing.assert_allclose(vals(p), ref, rtol=1e-12)


@pytest.mark.parametrize("cls,wd", [(optim.Adam, 0.0), (optim.AdamW, 0.1)])
def test_adam_and_adamw_match_numpy(cls, wd):
    p = param([0.5, -1.5])
    opt = cls([p], lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=wd)
    ref, m, v = np.array([0.5, -1.5]), np.zeros(2), np.zeros(2)
    for t, grad in enumerate(([0.2, -0.3], [0.1, 0.5], [-0.4, 0.05]), start=1):
        set_grad(p, grad)
        opt.step()
        g = np.array(grad)
        ref = ref * (1 - 0.01 * wd)
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        ref = ref - 0.01 / (1 - 0.8 ** t) * m / (np.sqrt(v) / math.sqrt(1 - 0.99 ** t) + 1e-8)
        np.testing.assert_allclose(vals(p), ref, rtol=1e-10)


def test_rmsprop_matches_numpy():
    p = param([1.0, 2.0])
    opt = optim.RMSprop([p], lr=0.01, alpha=0.9)
    ref, sq = np.array([1.0, 2.0]), np.zeros(2)
    for grad in ([0.5, -0.5], [0.2, 0.1]):
        set_grad(p, grad)
        opt.step()
        g = np.array(grad)
        sq = 0.9 * sq + 0.1 * g * g
        ref = ref - 0.01 * g / (np.sqrt(sq) + 1e-8)
        np.testing.assert_allclose(vals(p), ref, rtol=1e-10)


def test_param_groups_are_dicts_and_lr_writes_through():
    a, b = param([1.0]), param([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.0)
    groups = opt.param_groups
    assert [g["lr"] for g in groups] == [0.1, 0.5]
    assert groups[0]["momentum"] == 0.0 and groups[0]["nesterov"] is False
    assert len(groups[1]["params"]) == 1
    set_grad(a, [1.0])
    set_grad(b, [1.0])
    opt.step()
    assert vals(a)[0] == pytest.approx(0.9) and vals(b)[0] == pytest.approx(0.5)
    for g in opt.param_groups:
        g["lr"] = 0.01
    opt.step()
    assert vals(a)[0] == pytest.approx(0.89) and vals(b)[0] == pytest.approx(0.49)
    assert opt.param_groups[1]["lr"] == 0.01
    assert optim.Adam([param([0.0])]).param_groups[0]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError):
        opt.param_groups[0]["lr"] = -1.0
    # As in torch, other entries (a scheduler's 'initial_lr', a script's own) stay in the group dict.
    opt.param_groups[0]["initial_lr"] = 0.5
    assert opt.param_groups[0]["initial_lr"] == 0.5 and opt.param_groups[0]["lr"] == 0.01
    assert "initial_lr" in opt.state_dict()["param_groups"][0]


def test_add_param_group_and_zero_grad():
    a, b = param([1.0]), param([2.0])
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]
    set_grad(a, [1.0])
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0]
    opt.zero_grad()
    assert a.grad is None


def test_state_dict_round_trip_continues_identically():
    def run(opt_state=None, steps=3):
        p = param([1.0, -1.0])
        opt = optim.Adam([p], lr=0.1)
        if opt_state is not None:
            p.detach().copy_(opt_state[1])
            opt.load_state_dict(opt_state[0])
        for _ in range(steps):
            set_grad(p, [0.3, 0.7])
            opt.step()
        return p, opt

    p_full, _ = run(steps=4)
    p_half, opt_half = run(steps=2)
    p_resumed, _ = run((opt_half.state_dict(), p_half.detach().clone()), steps=2)
    np.testing.assert_allclose(vals(p_resumed), vals(p_full), rtol=1e-14)
    with pytest.raises(ValueError):
        optim.Adam([param([1.0]), param([2.0])]).load_state_dict(opt_half.state_dict())


def test_closure_is_evaluated():
    p = param([2.0])
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    assert vals(p)[0] == pytest.approx(1.0)


def test_cpp_schedulers_follow_torch_formulas():
    opt = optim.SGD([param([0.0])], lr=1.0)
    s = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        s.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert s.last_epoch == 5 and s.get_last_lr() == [0.25]

    opt = optim.SGD([param([0.0])], lr=0.1)
    w = lr_scheduler.WarmupCosineLR(opt, warmup_steps=2, total_steps=6)
    seen = [w.get_last_lr()[0]]
    for _ in range(6):
        w.step()
        seen.append(w.get_last_lr()[0])
    assert seen[0] == 0.0 and seen[2] == pytest.approx(0.1) and seen[6] == pytest.approx(0.0, abs=1e-12)
    assert seen[4] == pytest.approx(0.1 * (1 + math.cos(math.pi * 2 / 4)) / 2)

    opt = optim.SGD([param([0.0])], lr=0.1, momentum=0.9)
    oc = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 / 25)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    oc.step()

    opt = optim.SGD([param([0.0])], lr=1.0)
    plateau = lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for metric in (1.0, 1.0, 1.0):
        plateau.step(metric)
    assert opt.param_groups[0]["lr"] == 0.5


def test_python_schedulers_write_lr():
    opt = optim.SGD([param([0.0])], lr=0.2)
    s = lr_scheduler.LambdaLR(opt, lambda e: 1.0 / (e + 1))
    s.step()
    s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.2 / 3)
    opt = optim.SGD([param([0.0])], lr=1.0)
    c = lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    for _ in range(2):
        c.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 + 0.9 * 0.5)

    class Halve(lr_scheduler.LRScheduler):
        def get_lr(self):
            return [b * 0.5 ** self.last_epoch for b in self.base_lrs]

    opt = optim.SGD([param([0.0])], lr=1.0)
    h = Halve(opt)
    h.step()
    assert opt.param_groups[0]["lr"] == 0.5 and h.get_last_lr() == [0.5]


def test_clip_grad_norm_and_value():
    a, b = param([3.0, 0.0]), param([4.0])
    set_grad(a, [3.0, 0.0])
    set_grad(b, [4.0])
    total = seek.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(vals(a.grad), [3.0 / (5.0 + 1e-6), 0.0], rtol=1e-9)
    assert seek.nn.utils.clip_grad_norm_([a, b], 10.0, norm_type="inf").item() == pytest.approx(0.8, rel=1e-5)
    seek.nn.utils.clip_grad_value_(b, 0.1)
    assert vals(b.grad)[0] == pytest.approx(0.1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="invalid learning rate -0.1"):
        optim.SGD([param([1.0])], lr=-0.1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD(param([1.0]), lr=0.1)
    with pytest.raises(ValueError, match="'params'"):
        optim.SGD([{"lr": 0.1}])


@pytest.mark.parametrize("cls,kwargs", [(optim.SGD, {"momentum": 0.9}), (optim.Adam, {}), (optim.AdamW, {}),
                                        (optim.RMSprop, {"momentum": 0.5})])
def test_maximize_ascends_like_minimizing_the_negated_loss(cls, kwargs):
    a, b = param([1.0, -2.0, 0.5]), param([1.0, -2.0, 0.5])
    up = cls([a], lr=0.1, maximize=True, **kwargs)
    down = cls([b], lr=0.1, **kwargs)
    for g in ([0.3, -1.0, 2.0], [0.1, 0.2, -0.5]):
        set_grad(a, g)
        set_grad(b, [-x for x in g])
        up.step()
        down.step()
    assert np.array_equal(vals(a), vals(b))
    assert up.param_groups[0]["maximize"] is True and down.defaults["maximize"] is False


def test_constructor_keywords_come_from_the_option_table():
    # Every option of the table is a keyword (betas for Adam's beta1/beta2); others are a TypeError.
    opt = optim.Adam([param([1.0])], lr=0.5, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1, amsgrad=True)
    g = opt.param_groups[0]
    assert (g["lr"], g["betas"], g["eps"], g["weight_decay"], g["amsgrad"]) == (0.5, (0.8, 0.9), 1e-6, 0.1, True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'beta1'"):
        seek._C.optim.Adam([param([1.0])], beta1=0.5)
    with pytest.raises(TypeError, match="unexpected keyword argument 'momentum'"):
        seek._C.optim.Adam([param([1.0])], momentum=0.5)
    assert "nesterov (False)" in seek._C.optim.SGD.__doc__


def test_linear_warmup_decay_and_the_warmup_checks():
    opt = optim.SGD([param([0.0])], lr=1.0)
    s = lr_scheduler.LinearWarmupDecayLR(opt, warmup_steps=2, total_steps=6, end_factor=0.2)
    seen = [s.get_last_lr()[0]]
    for _ in range(7):
        s.step()
        seen.append(s.get_last_lr()[0])
    assert seen == pytest.approx([0.0, 0.5, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2])  # held at base * end_factor after
    for cls, kw, match in [(lr_scheduler.LinearWarmupDecayLR, {"end_factor": 1.5}, "end_factor"),
                           (lr_scheduler.WarmupCosineLR, {"min_lr": -1.0}, "min_lr")]:
        with pytest.raises(ValueError, match=match):
            cls(optim.SGD([param([0.0])], lr=1.0), 1, 4, **kw)
        with pytest.raises(ValueError, match=f"{cls.__name__}: expected 0 <= warmup_steps < total_steps"):
            cls(optim.SGD([param([0.0])], lr=1.0), 4, 4)
