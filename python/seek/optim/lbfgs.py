"""seek.optim.LBFGS: limited-memory BFGS with an optional strong-Wolfe line search, as torch.optim.LBFGS.

A Python subclass of seek.optim.Optimizer: step(closure) needs the closure, which clears the
gradients, computes the loss, calls backward() and returns the loss; each step runs up to max_iter
iterations (max_eval closure calls). The parameters are treated as one flat vector; the search
direction comes from the two-loop recursion over the last history_size (step, gradient change)
pairs, and the step length is lr (the first iteration: min(1, 1 / |g|_1) * lr), or, with
line_search_fn='strong_wolfe', the length found by a bracketing and cubic-interpolation search that
satisfies the strong Wolfe conditions (sufficient decrease c1 = 1e-4, curvature c2 = 0.9).
"""
import math

from .. import _C
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _dot(a, b):
    return float((a * b).sum().item())


def _cubic_min(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to bounds
    (default: the interval between x1 and x2); the interval's middle when the cubic has none."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search along d from the current point (loss f, gradient g, slope gtd); evaluate(t) returns
    (loss, flat gradient) at step t without moving the parameters. Returns (loss, grad, t, evaluations)."""
    d_norm = float(d.abs().max().item())
    g = g.clone()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    # Bracketing: grow t until an interval holds a point that satisfies the conditions.
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bf, bg, bgtd = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()], [gtd_prev, gtd_new]
            break
        lo, hi = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(lo, hi))
        f_prev, g_prev, gtd_prev = f_new, g_new.clone(), gtd_new
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bf, bg, bgtd = [0.0, t], [f, f_new], [g, g_new], [gtd, gtd_new]

    # Zoom: shrink the interval by cubic interpolation until a point satisfies the conditions.
    insufficient = False
    low, high = (0, 1) if bf[0] <= bf[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_min(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1])
        # Keep away from the interval's ends unless the last trials made too little progress.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insufficient or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bf[low]:
            bracket[high], bf[high], bg[high], bgtd[high] = t, f_new, g_new.clone(), gtd_new
            low, high = (0, 1) if bf[0] <= bf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bf[high], bg[high], bgtd[high] = bracket[low], bf[low], bg[low], bgtd[low]
            bracket[low], bf[low], bg[low], bgtd[low] = t, f_new, g_new.clone(), gtd_new
    return bf[low], bg[low], bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS, as torch.optim.LBFGS: LBFGS(params, lr=1, max_iter=20, max_eval=None (max_iter * 5 // 4),
    tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=None or 'strong_wolfe').
    One parameter group only; step(closure) requires the closure."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if lr < 0:
            raise ValueError(f"LBFGS: invalid learning rate {lr} (expected >= 0)")
        if max_iter < 1 or max_eval < 1 or history_size < 1:
            raise ValueError(f"LBFGS: max_iter ({max_iter}), max_eval ({max_eval}) and history_size ({history_size}) "
                             "must be at least 1")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self):
        return self.param_groups[0]["params"]

    def _flat_grad(self):
        parts = []
        for p in self._params:
            g = p.grad
            parts.append(_C.zeros(p.numel(), dtype=p.dtype, device=p.device) if g is None else g.reshape(-1))
        return _C.cat(parts, 0)

    def _add(self, t, d):
        """params += t * d (d flat)."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[offset:offset + n].view(p.shape) * t)
            offset += n

    def _evaluate(self, closure, x, t, d):
        """(loss, flat grad) at x + t * d; the parameters are restored to x afterwards."""
        from ..autograd import enable_grad

        self._add(t, d)
        with enable_grad():
            loss = float(closure())
        g = self._flat_grad()
        for p, v in zip(self._params, x):
            p.copy_(v)
        return loss, g

    def step(self, closure):
        """Runs up to max_iter L-BFGS iterations; returns the loss the closure gave at the start."""
        from ..autograd import enable_grad, no_grad

        if closure is None:
            raise RuntimeError("LBFGS.step() requires a closure that re-evaluates the model and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search_fn = group["history_size"], group["line_search_fn"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        with no_grad():
            flat_grad = self._flat_grad()
            if float(flat_grad.abs().max().item()) <= tolerance_grad:
                return orig_loss

            d, t = state.get("d"), state.get("t")
            old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
            h_diag = state.get("H_diag")
            prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d = flat_grad.neg()
                    old_dirs, old_stps, ro = [], [], []
                    h_diag = 1.0
                else:
                    # Remember the new curvature pair when it keeps the Hessian estimate positive.
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = _dot(y, s)
                    if ys > 1e-10:
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        h_diag = ys / _dot(y, y)
                    # Two-loop recursion: d = -H g.
                    al = [0.0] * len(old_dirs)
                    q = flat_grad.neg()
                    for i in range(len(old_dirs) - 1, -1, -1):
                        al[i] = _dot(old_stps[i], q) * ro[i]
                        q = q - old_dirs[i] * al[i]
                    r = q * h_diag
                    for i in range(len(old_dirs)):
                        be_i = _dot(old_dirs[i], r) * ro[i]
                        r = r + old_stps[i] * (al[i] - be_i)
                    d = r
                prev_flat_grad = flat_grad.clone()
                prev_loss = loss

                if state["n_iter"] == 1:
                    t = min(1.0, 1.0 / float(flat_grad.abs().sum().item())) * lr
                else:
                    t = lr
                gtd = _dot(flat_grad, d)
                if gtd > -tolerance_change:  # not a descent direction
                    break

                ls_evals = 0
                if line_search_fn is not None:
                    x = [p.clone() for p in self._params]
                    loss, flat_grad, t, ls_evals = _strong_wolfe(
                        lambda step: self._evaluate(closure, x, step, d), t, d, loss, flat_grad, gtd)
                    self._add(t, d)
                    opt_cond = float(flat_grad.abs().max().item()) <= tolerance_grad
                else:
                    self._add(t, d)
                    opt_cond = False
                    if n_iter != max_iter:
                        with enable_grad():
                            loss = float(closure())
                        flat_grad = self._flat_grad()
                        opt_cond = float(flat_grad.abs().max().item()) <= tolerance_grad
                        ls_evals = 1
                evals += ls_evals
                state["func_evals"] += ls_evals

                if n_iter == max_iter or evals >= max_eval or opt_cond:
                    break
                if float((d * t).abs().max().item()) <= tolerance_change:
                    break
                if abs(loss - prev_loss) < tolerance_change:
                    break

            state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                         prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
