"""The optimizers and schedulers against torch 1.13's trajectories (ref/optim_ref.json, written by
ref/gen_optim.py), Python subclasses of seek.optim.Optimizer, state dicts in PyTorch's layout, and
pickling/deepcopy of optimizers."""
import copy
import json
import math
import os
import pickle

import numpy as np
import pytest

import seek
from seek import optim
from seek.optim import lr_scheduler as S

with open(os.path.join(os.path.dirname(__file__), "ref", "optim_ref.json")) as _f:
    REF = json.load(_f)


def quadratic(p):
    target = seek.tensor(REF["target"], dtype=seek.float64)
    coef = seek.tensor(REF["coef"], dtype=seek.float64)
    return (coef * (p - target) ** 2).sum()


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def make(cls, kwargs, params):
    kwargs = dict(kwargs)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return getattr(optim, cls)(params, **kwargs)


@pytest.mark.parametrize("name", sorted(REF["optimizers"]))
def test_optimizer_follows_torch(name):
    case = REF["optimizers"][name]
    p = seek.tensor(REF["init"], dtype=seek.float64, requires_grad=True)
    opt = make(case["cls"], case["kwargs"], [p])
    for step, expected in enumerate(case["trajectory"]):
        opt.zero_grad()
        quadratic(p).backward()
        opt.step()
        np.testing.assert_allclose(p.tolist(), expected, rtol=1e-9, atol=1e-12, err_msg=f"{name} step {step + 1}")
    sd = opt.state_dict()
    # PyTorch's layout: per-parameter state by index, groups list their parameters' indices.
    assert set(sd) == {"state", "param_groups"} and sd["param_groups"][0]["params"] == [0]
    torch_state = set(case["state_keys"]) - {"mu_product"}
    assert set(sd["state"][0]) == torch_state
    if "step" in torch_state:
        assert float(sd["state"][0]["step"]) == len(case["trajectory"])
    torch_groups = set(case["group_keys"]) - {"foreach", "differentiable", "capturable", "fused"}
    assert torch_groups <= set(sd["param_groups"][0])


@pytest.mark.parametrize("name", ["adagrad_all", "nadam_all", "radam_all", "adadelta_all", "adamax_all"])
def test_state_dict_resume_continues_the_trajectory(name):
    case = REF["optimizers"][name]
    p = seek.tensor(REF["init"], dtype=seek.float64, requires_grad=True)
    opt = make(case["cls"], case["kwargs"], [p])
    for _ in range(7):
        opt.zero_grad()
        quadratic(p).backward()
        opt.step()
    saved = opt.state_dict()
    q = p.detach().clone().requires_grad_(True)
    resumed = make(case["cls"], {}, [q])  # other defaults: the state dict brings the options
    resumed.load_state_dict(pickle.loads(pickle.dumps(saved)))
    for step in range(7, 20):
        resumed.zero_grad()
        quadratic(q).backward()
        resumed.step()
        np.testing.assert_allclose(q.tolist(), case["trajectory"][step], rtol=1e-9, atol=1e-12)


def test_new_optimizers_reject_bad_options():
    p = seek.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Adagrad: invalid learning rate -1"):
        optim.Adagrad([p], lr=-1)
    with pytest.raises(ValueError, match="rho"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="beta2"):
        optim.Adamax([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="momentum_decay"):
        optim.NAdam([p], momentum_decay=-1.0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        optim.RAdam([p], momentum=0.9)
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([p], line_search_fn="backtracking")


def test_decoupled_weight_decay_decays_the_weights_directly():
    # With zero gradients the moments stay zero: only the decoupled decay moves the weights.
    for cls in (optim.NAdam, optim.RAdam):
        p = seek.tensor([2.0, -4.0], dtype=seek.float64, requires_grad=True)
        opt = cls([p], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
        p.grad = seek.zeros(2, dtype=seek.float64)
        opt.step()
        np.testing.assert_allclose(p.tolist(), [2.0 * 0.95, -4.0 * 0.95], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(REF["lbfgs"]))
def test_lbfgs_follows_torch(name):
    case = REF["lbfgs"][name]
    p = seek.tensor([-1.5, 2.0], dtype=seek.float64, requires_grad=True)
    opt = optim.LBFGS([p], **case["kwargs"])
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = rosenbrock(p)
        loss.backward()
        return loss

    for step, (expected, loss) in enumerate(zip(case["trajectory"], case["losses"])):
        got = opt.step(closure)
        # Rounding differences (sums in another order) grow over tens of iterations on Rosenbrock.
        assert float(got) == pytest.approx(loss, rel=1e-6, abs=1e-12), f"{name} step {step}"
        np.testing.assert_allclose(p.tolist(), expected, rtol=1e-6, atol=1e-9, err_msg=f"{name} step {step}")
    assert calls[0] == case["closure_calls"]
    assert opt.state[p]["func_evals"] == case["func_evals"] and opt.state[p]["n_iter"] == case["n_iter"]


def test_lbfgs_needs_a_closure_and_one_group():
    p = seek.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS([p]).step(None)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [seek.zeros(1, requires_grad=True)]}])


def sgd(momentum=0.9, groups=2):
    ps = [seek.zeros(2, requires_grad=True) for _ in range(groups)]
    return optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], lr=0.1, momentum=momentum)


def adam():
    return optim.Adam([seek.zeros(2, requires_grad=True)], lr=0.1)


class PySGD(optim.Optimizer):
    """A plain SGD written as a torch user would, to drive the schedulers on a Python optimizer."""

    def __init__(self, params, lr=0.1, momentum=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        with seek.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    buf = self.state[p].get("momentum_buffer")
                    d = p.grad if buf is None else buf.mul_(group["momentum"]).add_(p.grad)
                    self.state[p]["momentum_buffer"] = d.clone()
                    p.sub_(d * group["lr"])
        return loss


def py_sgd(momentum=0.9, groups=2):
    ps = [seek.zeros(2, requires_grad=True) for _ in range(groups)]
    return PySGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], lr=0.1, momentum=momentum)


class PyAdamLike(optim.Optimizer):
    def __init__(self, params, lr=0.1, betas=(0.9, 0.999)):
        super().__init__(params, dict(lr=lr, betas=betas))

    def step(self, closure=None):
        return None


SCHEDULERS = {
    "linear": (sgd, lambda o: S.LinearLR(o, start_factor=1 / 3, end_factor=1.0, total_iters=5), None),
    "linear_down": (sgd, lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=8), None),
    "constant": (sgd, lambda o: S.ConstantLR(o, factor=1 / 3, total_iters=5), None),
    "cosine_restarts": (sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), None),
    "cosine_restarts_1": (sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4), None),
    "cosine_restarts_frac": (sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
                             [i * 0.4 for i in range(25)]),
    "sequential": (sgd, lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=3),
                                                    S.ExponentialLR(o, gamma=0.9)], milestones=[4]), None),
    "sequential3": (sgd, lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                     S.StepLR(o, step_size=2, gamma=0.5),
                                                     S.CosineAnnealingLR(o, T_max=6)], milestones=[3, 9]), None),
    "chained": (sgd, lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=4),
                                                   S.ExponentialLR(o, gamma=0.9)]), None),
    "cyclic_triangular": (sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4), None),
    "cyclic_triangular2": (sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2,
                                                     mode="triangular2"), None),
    "cyclic_exp_range": (sgd, lambda o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.2], step_size_up=4,
                                                   mode="exp_range", gamma=0.9, base_momentum=0.8,
                                                   max_momentum=0.95), None),
    "cyclic_nomomentum": (lambda: sgd(momentum=0.0, groups=1),
                          lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False),
                          None),
    "polynomial": (sgd, lambda o: S.PolynomialLR(o, total_iters=8, power=2.0), None),
    "polynomial_1": (sgd, lambda o: S.PolynomialLR(o), None),
    "onecycle_epochs": (adam, lambda o: S.OneCycleLR(o, max_lr=0.1, epochs=5, steps_per_epoch=6), None),
    "onecycle_linear3": (sgd, lambda o: S.OneCycleLR(o, max_lr=[0.1, 0.3], total_steps=26, anneal_strategy="linear",
                                                     three_phase=True), None),
    "onecycle_cos": (sgd, lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=26, pct_start=0.25), None),
    "multistep_repeated": (sgd, lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5), None),
    "step": (sgd, lambda o: S.StepLR(o, step_size=3, gamma=0.5), None),
    "exponential": (sgd, lambda o: S.ExponentialLR(o, gamma=0.9), None),
    "cosine": (sgd, lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01), None),
    "lambda": (sgd, lambda o: S.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e)), None),
    "multiplicative": (sgd, lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.95), None),
}


def run_schedule(make_opt, make_sched, epochs):
    opt = make_opt()
    sched = make_sched(opt)

    def snapshot():
        g = opt.param_groups
        return ([x["lr"] for x in g], sched.get_last_lr(),
                [x["betas"][0] if "betas" in x else x["momentum"] for x in g])

    out = [snapshot()]
    for i in range(25):
        opt.step()
        sched.step() if epochs is None else sched.step(epochs[i])
        out.append(snapshot())
    return out


def check_schedule(name, got):
    for step, ((lr, last, momentum), ref) in enumerate(zip(got, REF["schedulers"][name])):
        np.testing.assert_allclose(lr, ref["lr"], rtol=1e-10, atol=1e-15, err_msg=f"{name} lr at step {step}")
        np.testing.assert_allclose(last, ref["last_lr"], rtol=1e-10, atol=1e-15, err_msg=f"{name} step {step}")
        np.testing.assert_allclose(momentum, ref["momentum"], rtol=1e-10, err_msg=f"{name} momentum {step}")


def test_every_reference_schedule_is_tested():
    assert set(SCHEDULERS) == set(REF["schedulers"])


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_follows_torch(name):
    make_opt, make_sched, epochs = SCHEDULERS[name]
    check_schedule(name, run_schedule(make_opt, make_sched, epochs))


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_works_on_a_python_optimizer(name):
    make_opt, make_sched, epochs = SCHEDULERS[name]
    if make_opt is adam:
        def make_opt():
            return PyAdamLike([seek.zeros(2, requires_grad=True)], lr=0.1)
    elif name == "cyclic_nomomentum":
        def make_opt():
            return py_sgd(momentum=0.0, groups=1)
    else:
        make_opt = py_sgd
    check_schedule(name, run_schedule(make_opt, make_sched, epochs))


def test_reduce_lr_on_plateau_follows_torch():
    for make_opt in (lambda: sgd(groups=1), lambda: py_sgd(groups=1)):
        opt = make_opt()
        sched = S.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1, min_lr=0.01)
        lrs = []
        for m in REF["plateau"]["metrics"]:
            sched.step(m)
            lrs.append(opt.param_groups[0]["lr"])
        np.testing.assert_allclose(lrs, REF["plateau"]["lr"], rtol=1e-12)


def test_scheduler_state_dict_resumes():
    opt = sgd()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
    for _ in range(5):
        sched.step()
    state = sched.state_dict()
    assert state["last_epoch"] == 5 and "optimizer" not in state
    opt2 = sgd()
    for g, src in zip(opt2.param_groups, opt.param_groups):
        g["lr"] = src["lr"]
    sched2 = S.CosineAnnealingWarmRestarts(opt2, T_0=3, T_mult=2)
    sched2.load_state_dict(state)
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_scheduler_errors():
    with pytest.raises(ValueError, match="total_steps OR"):
        S.OneCycleLR(sgd(), max_lr=0.1)
    with pytest.raises(ValueError, match="support momentum"):
        S.CyclicLR(_NoMomentum([seek.zeros(1, requires_grad=True)], {"lr": 0.1}), 0.01, 0.1)
    with pytest.raises(ValueError, match="Tried to step"):
        o = sgd()
        s = S.OneCycleLR(o, max_lr=0.1, total_steps=3)
        for _ in range(4):
            s.step()
    with pytest.raises(ValueError, match="milestones"):
        o = sgd()
        S.SequentialLR(o, [S.ConstantLR(o), S.ConstantLR(o)], milestones=[])


class _NoMomentum(optim.Optimizer):
    def step(self, closure=None):
        return None


def test_trainer_takes_over_a_cpp_twin_scheduler():
    opt = sgd(groups=1)
    sched = S.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    twin = sched._impl  # what seek.train.Trainer reads
    assert twin.last_epoch == 1 and sched.last_epoch == 1
    sched.step()
    assert twin.last_epoch == 2 and sched.get_last_lr() == pytest.approx([0.05])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    with pytest.raises(TypeError, match="C\\+\\+ optimizer"):
        S.StepLR(py_sgd(groups=1), step_size=2)._impl


# ---- Python subclasses of Optimizer -------------------------------------------------------------


def test_python_optimizer_has_torchs_interface():
    a = seek.tensor([1.0, 2.0], requires_grad=True)
    b = seek.tensor([3.0], requires_grad=True)
    opt = PySGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.defaults == {"lr": 0.1, "momentum": 0.0}
    (a.sum() + 2 * b.sum()).backward()

    def closure():
        return 7.0

    assert opt.step(closure) == 7.0
    np.testing.assert_allclose(a.tolist(), [0.9, 1.9], rtol=1e-6)
    np.testing.assert_allclose(b.tolist(), [2.0], rtol=1e-6)
    assert set(opt.state[a]) == {"momentum_buffer"}
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    c = seek.zeros(1, requires_grad=True)
    opt.add_param_group({"params": [c]})
    assert opt.param_groups[2]["lr"] == 0.1
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty"):
        PySGD([])
    with pytest.raises(TypeError, match="Tensor"):
        PySGD(seek.zeros(1, requires_grad=True))
    with pytest.raises(NotImplementedError):
        optim.Optimizer([c], {"lr": 1.0}).step()


def test_python_optimizer_state_dict_layout_and_round_trip():
    a = seek.tensor([1.0, 2.0], requires_grad=True)
    b = seek.tensor([3.0], requires_grad=True)
    opt = PySGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    (a.sum() + b.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"] == [{"lr": 0.1, "momentum": 0.9, "params": [0]},
                                  {"lr": 0.5, "momentum": 0.9, "params": [1]}]
    assert set(sd["state"]) == {0, 1} and sd["state"][1]["momentum_buffer"].tolist() == [1.0]
    a2, b2 = seek.zeros(2, requires_grad=True), seek.zeros(1, requires_grad=True)
    opt2 = PySGD([{"params": [a2]}, {"params": [b2]}])
    opt2.load_state_dict(pickle.loads(pickle.dumps(sd)))
    assert opt2.param_groups[1]["lr"] == 0.5 and opt2.param_groups[1]["params"][0] is b2
    assert opt2.state[b2]["momentum_buffer"].tolist() == [1.0]
    with pytest.raises(ValueError, match="groups"):
        PySGD([a2]).load_state_dict(sd)


def test_cpp_optimizer_state_dict_has_torchs_layout():
    a = seek.tensor([1.0, 2.0], requires_grad=True)
    b = seek.tensor([3.0], requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a.sum() + b.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"][1]) == {"step", "exp_avg", "exp_avg_sq"} and float(sd["state"][1]["step"]) == 1.0
    assert set(opt.state[opt.param_groups[1]["params"][0]]) == {"step", "exp_avg", "exp_avg_sq"}
    assert set(opt.state[b]) == {"step", "exp_avg", "exp_avg_sq"} and a in opt.state  # the caller's handles
    assert seek.zeros(1) not in opt.state
    # A torch-style dict with extra group entries and a torch SGD's None momentum buffer loads.
    sgd_opt = optim.SGD([a], lr=0.1)
    sgd_opt.load_state_dict({"state": {0: {"momentum_buffer": None}},
                             "param_groups": [{"lr": 0.3, "momentum": 0.0, "dampening": 0, "weight_decay": 0,
                                               "nesterov": False, "maximize": False, "foreach": None,
                                               "differentiable": False, "params": [0]}]})
    assert sgd_opt.param_groups[0]["lr"] == 0.3 and sgd_opt.param_groups[0]["foreach"] is None


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
def test_optimizers_deepcopy_and_pickle(copier):
    def clone(x):
        return copy.deepcopy(x) if copier == "deepcopy" else pickle.loads(pickle.dumps(x))

    p = seek.tensor([1.0, -1.0], dtype=seek.float64, requires_grad=True)
    opt = optim.Adam([p], lr=0.1, amsgrad=True)
    opt.param_groups[0]["initial_lr"] = 0.1
    for _ in range(3):
        opt.zero_grad()
        quadratic(seek.cat([p, p])).backward()
        opt.step()
    twin = clone(opt)
    q = twin.param_groups[0]["params"][0]
    assert q is not p and q.tolist() == p.tolist() and twin.param_groups[0]["initial_lr"] == 0.1
    for o, t in ((opt, p), (twin, q)):
        o.zero_grad()
        quadratic(seek.cat([t, t])).backward()
        o.step()
    assert q.tolist() == p.tolist()

    r = seek.tensor([1.0, 2.0], requires_grad=True)
    py = PySGD([r], lr=0.1, momentum=0.9)
    r.sum().backward()
    py.step()
    py2 = clone(py)
    r2 = py2.param_groups[0]["params"][0]
    assert r2 is not r and r2.tolist() == r.tolist()
    assert py2.state[r2]["momentum_buffer"].tolist() == [1.0, 1.0]
