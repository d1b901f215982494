"""Writes optim_ref.json: reference trajectories of torch 1.13's optimizers and schedulers.

Run with the reference interpreter (torch 1.13.1, CPU):
    /work/torchref/bin/python tests/python/ref/gen_optim.py
tests/python/test_optim_extra.py replays every case with seek and compares.
"""
import json
import math
import os

import torch

INIT = [0.3, 0.7, -1.2, 2.0]
TARGET = [1.0, -2.0, 0.5, 3.0]
COEF = [1.0, 0.5, 2.0, 0.25]
STEPS = 20

# (name, class, kwargs): each runs STEPS steps on sum(coef * (p - target)^2) from INIT, float64.
OPTIMIZERS = [
    ("adagrad", "Adagrad", {}),
    ("adagrad_all", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5,
                                "eps": 1e-8}),
    ("adagrad_max", "Adagrad", {"lr": 0.05, "maximize": True}),
    ("adadelta", "Adadelta", {}),
    ("adadelta_all", "Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.05}),
    ("adamax", "Adamax", {}),
    ("adamax_all", "Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("nadam", "NAdam", {}),
    ("nadam_all", "NAdam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1,
                            "momentum_decay": 0.01}),
    ("nadam_decoupled", "NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", "RAdam", {}),
    ("radam_all", "RAdam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    ("sgd_max", "SGD", {"lr": 0.05, "momentum": 0.9, "maximize": True}),
    ("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("adam_amsgrad", "Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    ("adamw_amsgrad", "AdamW", {"lr": 0.05, "amsgrad": True}),
    ("rmsprop_centered", "RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
]


def nadam_reference(kwargs):
    """NAdam as torch 2.x computes it (float64, written from the algorithm in torch's documentation):
    torch 1.13 multiplies mu_t twice into the product it uses for the momentum term (mu_product * mu * mu_next),
    which torch 2.0 corrected to mu_product * mu_next; seek follows the corrected rule. decoupled_weight_decay
    (torch 2.1) decays the weights by lr * weight_decay before the update instead of adding to the gradient."""
    lr, (b1, b2) = kwargs.get("lr", 2e-3), kwargs.get("betas", (0.9, 0.999))
    eps, wd, md = kwargs.get("eps", 1e-8), kwargs.get("weight_decay", 0.0), kwargs.get("momentum_decay", 4e-3)
    decoupled = kwargs.get("decoupled_weight_decay", False)
    p = torch.tensor(INIT, dtype=torch.float64)
    target, coef = torch.tensor(TARGET, dtype=torch.float64), torch.tensor(COEF, dtype=torch.float64)
    m, v, prod = torch.zeros(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64), 1.0
    traj = []
    for t in range(1, STEPS + 1):
        g = 2 * coef * (p - target)
        if wd and decoupled:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * md))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * md))
        prod *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = (v / (1 - b2 ** t)).sqrt() + eps
        p = p - lr * (1 - mu) / (1 - prod) * g / denom - lr * mu_next / (1 - prod * mu_next) * m / denom
        traj.append(p.tolist())
    return traj


def quadratic(p):
    return (torch.tensor(COEF, dtype=torch.float64) * (p - torch.tensor(TARGET, dtype=torch.float64)) ** 2).sum()


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def run_optimizer(cls, kwargs):
    p = torch.tensor(INIT, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, cls)([p], **kwargs)
    traj = []
    for _ in range(STEPS):
        opt.zero_grad()
        quadratic(p).backward()
        opt.step()
        traj.append(p.detach().tolist())
    sd = opt.state_dict()
    return {"cls": cls, "kwargs": kwargs, "trajectory": traj, "state_keys": sorted(sd["state"][0].keys()),
            "group_keys": sorted(k for k in sd["param_groups"][0].keys())}


def run_lbfgs(kwargs, steps):
    p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([p], **kwargs)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = rosenbrock(p)
        loss.backward()
        return loss

    traj, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        traj.append(p.detach().tolist())
    return {"kwargs": kwargs, "trajectory": traj, "losses": losses, "closure_calls": calls[0],
            "func_evals": opt.state[p]["func_evals"], "n_iter": opt.state[p]["n_iter"]}


S = torch.optim.lr_scheduler
N = 25


def sgd(lr=0.1, momentum=0.9, groups=1):
    ps = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr,
                           momentum=momentum)


def adam(lr=0.1):
    return torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=lr)


# (name, optimizer maker, scheduler maker, how to step): the lrs (and momenta) after construction and each step.
SCHEDULERS = [
    ("linear", sgd, lambda o: S.LinearLR(o, start_factor=1 / 3, end_factor=1.0, total_iters=5), None),
    ("linear_down", sgd, lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=8), None),
    ("constant", sgd, lambda o: S.ConstantLR(o, factor=1 / 3, total_iters=5), None),
    ("cosine_restarts", sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), None),
    ("cosine_restarts_1", sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4), None),
    ("cosine_restarts_frac", sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
     [i * 0.4 for i in range(N)]),
    ("sequential", sgd, lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=3),
                                                   S.ExponentialLR(o, gamma=0.9)], milestones=[4]), None),
    ("sequential3", sgd, lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                    S.StepLR(o, step_size=2, gamma=0.5),
                                                    S.CosineAnnealingLR(o, T_max=6)], milestones=[3, 9]), None),
    ("chained", sgd, lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=4),
                                                  S.ExponentialLR(o, gamma=0.9)]), None),
    ("cyclic_triangular", sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4), None),
    ("cyclic_triangular2", sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2,
                                                    mode="triangular2"), None),
    ("cyclic_exp_range", sgd, lambda o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.2], step_size_up=4,
                                                  mode="exp_range", gamma=0.9, base_momentum=0.8,
                                                  max_momentum=0.95), None),
    ("cyclic_nomomentum", lambda: sgd(momentum=0.0), lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2,
                                                                        cycle_momentum=False), None),
    ("polynomial", sgd, lambda o: S.PolynomialLR(o, total_iters=8, power=2.0), None),
    ("polynomial_1", sgd, lambda o: S.PolynomialLR(o), None),
    ("onecycle_epochs", adam, lambda o: S.OneCycleLR(o, max_lr=0.1, epochs=5, steps_per_epoch=6), None),
    ("onecycle_linear3", sgd, lambda o: S.OneCycleLR(o, max_lr=[0.1, 0.3], total_steps=N + 1,
                                                    anneal_strategy="linear", three_phase=True), None),
    ("onecycle_cos", sgd, lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=N + 1, pct_start=0.25), None),
    ("multistep_repeated", sgd, lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5), None),
    ("step", sgd, lambda o: S.StepLR(o, step_size=3, gamma=0.5), None),
    ("exponential", sgd, lambda o: S.ExponentialLR(o, gamma=0.9), None),
    ("cosine", sgd, lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01), None),
    ("lambda", sgd, lambda o: S.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e)), None),
    ("multiplicative", sgd, lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.95), None),
]

PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.96, 0.97, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.7, 0.7, 0.7, 0.7, 0.7]


def run_scheduler(make_opt, make_sched, epochs, groups=1):
    opt = make_opt()
    sched = make_sched(opt)

    def snapshot():
        g = opt.param_groups
        m = [x["betas"][0] if "betas" in x else x["momentum"] for x in g]
        return {"lr": [x["lr"] for x in g], "last_lr": sched.get_last_lr(), "momentum": m}

    out = [snapshot()]
    for i in range(N):
        opt.step()
        if epochs is None:
            sched.step()
        else:
            sched.step(epochs[i])
        out.append(snapshot())
    return out


def main():
    out = {"init": INIT, "target": TARGET, "coef": COEF, "optimizers": {}, "schedulers": {}, "lbfgs": {}}
    for name, cls, kwargs in OPTIMIZERS:
        if cls == "NAdam":
            torch_kwargs = {k: v for k, v in kwargs.items() if k != "decoupled_weight_decay"}
            case = run_optimizer(cls, torch_kwargs)
            case["kwargs"] = kwargs
            case["torch113_trajectory"] = case["trajectory"]
            case["trajectory"] = nadam_reference(kwargs)
        else:
            case = run_optimizer(cls, kwargs)
        out["optimizers"][name] = case
    out["lbfgs"]["strong_wolfe"] = run_lbfgs({"lr": 1, "max_iter": 20, "line_search_fn": "strong_wolfe"}, 5)
    out["lbfgs"]["strong_wolfe_h3"] = run_lbfgs({"lr": 1, "max_iter": 10, "history_size": 3,
                                                  "line_search_fn": "strong_wolfe"}, 4)
    out["lbfgs"]["plain"] = run_lbfgs({"lr": 0.1, "max_iter": 10}, 4)
    out["lbfgs"]["plain_tol"] = run_lbfgs({"lr": 0.5, "max_iter": 30, "max_eval": 20, "tolerance_grad": 1e-3,
                                           "tolerance_change": 1e-6}, 3)
    for name, make_opt, make_sched, epochs in SCHEDULERS:
        groups = 2
        out["schedulers"][name] = run_scheduler(make_opt if make_opt is not sgd else (lambda: sgd(groups=groups)),
                                                make_sched, epochs)
    opt = sgd()
    sched = S.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1, min_lr=0.01)
    lrs = []
    for m in PLATEAU_METRICS:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    out["plateau"] = {"metrics": PLATEAU_METRICS, "lr": lrs}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim_ref.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
