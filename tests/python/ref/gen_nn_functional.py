"""Writes nn_functional.json: reference values from PyTorch 1.13 for the issue 12 layers
(tests/python/test_nn_functional_extra.py reads it; the test never imports torch).

Each case is an expression over `F` (torch.nn.functional / seek.nn.functional), `nn`
and the inputs x0, x1, ... (float64 arrays stored in the file). The file holds the
inputs, the output(s), and the gradients of sum(output * cotangent) for the floating
inputs, so the test evaluates the same expression with seek and compares. Module cases
store repr() and the parameter names and shapes.

    /work/torchref/bin/python tests/python/ref/gen_nn_functional.py
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.RandomState(12)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def sign(*shape):
    return np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)


# (name, expression, inputs, differentiable input indices)
CASES = [
    # conv
    ("conv1d", "F.conv1d(x0, x1, x2, stride=2, padding=1, dilation=2)", [r(2, 4, 11), r(6, 4, 3), r(6)], [0, 1, 2]),
    ("conv1d_groups", "F.conv1d(x0, x1, groups=2)", [r(2, 4, 7), r(6, 2, 2)], [0, 1]),
    ("conv1d_unbatched", "F.conv1d(x0, x1)", [r(3, 6), r(2, 3, 3)], [0, 1]),
    ("conv1d_same", "F.conv1d(x0, x1, padding='same', dilation=3)", [r(1, 2, 9), r(3, 2, 4)], [0, 1]),
    ("conv3d", "F.conv3d(x0, x1, x2, stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1))",
     [r(2, 3, 5, 6, 5), r(4, 3, 2, 2, 3), r(4)], [0, 1, 2]),
    ("conv3d_groups", "F.conv3d(x0, x1, groups=2, padding=1)", [r(1, 4, 3, 4, 3), r(6, 2, 3, 2, 2)], [0, 1]),
    ("conv3d_same", "F.conv3d(x0, x1, padding='same')", [r(1, 2, 4, 5, 3), r(2, 2, 2, 3, 2)], [0, 1]),
    ("conv3d_unbatched_valid", "F.conv3d(x0, x1, padding='valid')", [r(2, 4, 4, 4), r(3, 2, 2, 2, 2)], [0, 1]),
    ("conv2d_same_even", "F.conv2d(x0, x1, x2, padding='same')", [r(2, 3, 6, 5), r(4, 3, 4, 2), r(4)], [0, 1, 2]),
    ("conv2d_valid", "F.conv2d(x0, x1, padding='valid')", [r(1, 2, 5, 5), r(3, 2, 3, 3)], [0, 1]),
    # pooling
    ("max_pool1d", "F.max_pool1d(x0, 3, stride=2, padding=1)", [r(2, 3, 10)], [0]),
    ("max_pool1d_indices", "F.max_pool1d(x0, 2, return_indices=True, ceil_mode=True)", [r(2, 3, 9)], [0]),
    ("avg_pool1d", "F.avg_pool1d(x0, 3, stride=2, padding=1, count_include_pad=False)", [r(2, 3, 10)], [0]),
    ("max_pool3d", "F.max_pool3d(x0, (2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0))", [r(2, 2, 5, 6, 5)], [0]),
    ("avg_pool3d", "F.avg_pool3d(x0, 2, padding=1, count_include_pad=False, ceil_mode=True)", [r(1, 2, 5, 4, 5)],
     [0]),
    ("avg_pool3d_default", "F.avg_pool3d(x0, (3, 2, 2), stride=1)", [r(2, 4, 4, 4)], [0]),
    ("adaptive_max_pool2d", "F.adaptive_max_pool2d(x0, (3, 4), return_indices=True)", [r(2, 3, 7, 9)], [0]),
    ("adaptive_max_pool2d_even", "F.adaptive_max_pool2d(x0, 2, return_indices=True)", [r(1, 2, 6, 4)], [0]),
    ("adaptive_max_pool1d", "F.adaptive_max_pool1d(x0, 4, return_indices=True)", [r(2, 3, 10)], [0]),
    ("adaptive_avg_pool1d", "F.adaptive_avg_pool1d(x0, 4)", [r(2, 3, 10)], [0]),
    # im2col, shuffles
    ("unfold", "F.unfold(x0, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))", [r(2, 3, 5, 6)], [0]),
    ("unfold_unbatched", "F.unfold(x0, 2)", [r(2, 4, 3)], [0]),
    ("fold", "F.fold(x0, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))", [r(2, 18, 12)], [0]),
    ("fold_stride", "F.fold(x0, (5, 5), 2, stride=2)", [r(1, 8, 4)], [0]),
    ("pixel_shuffle", "F.pixel_shuffle(x0, 2)", [r(2, 8, 3, 2)], [0]),
    ("pixel_unshuffle", "F.pixel_unshuffle(x0, 3)", [r(1, 2, 6, 3)], [0]),
    ("pixel_shuffle_5d", "F.pixel_shuffle(x0, 2)", [r(2, 1, 4, 2, 3)], [0]),
    # distances
    ("normalize", "F.normalize(x0)", [r(3, 4, 2)], [0]),
    ("normalize_p1_dim", "F.normalize(x0, p=1.0, dim=-1)", [r(3, 5)], [0]),
    ("cosine_similarity", "F.cosine_similarity(x0, x1)", [r(4, 5), r(4, 5)], [0, 1]),
    ("cosine_similarity_bcast", "F.cosine_similarity(x0, x1, dim=-1)", [r(3, 1, 4), r(2, 4)], [0, 1]),
    ("pairwise_distance", "F.pairwise_distance(x0, x1)", [r(4, 5), r(4, 5)], [0, 1]),
    ("pairwise_distance_p1", "F.pairwise_distance(x0, x1, p=1.0, keepdim=True)", [r(3, 4), r(3, 4)], [0, 1]),
    # losses
    ("huber_loss", "F.huber_loss(x0, x1, delta=0.8)", [r(4, 3), r(4, 3)], [0, 1]),
    ("huber_loss_none", "F.huber_loss(x0, x1, reduction='none')", [r(5), r(5)], [0, 1]),
    ("margin_ranking_loss", "F.margin_ranking_loss(x0, x1, x2, margin=0.3)", [r(6), r(6), sign(6)], [0, 1]),
    ("margin_ranking_loss_sum", "F.margin_ranking_loss(x0, x1, x2, reduction='sum')", [r(6), r(6), sign(6)],
     [0, 1]),
    ("triplet_margin_loss", "F.triplet_margin_loss(x0, x1, x2)", [r(4, 5), r(4, 5), r(4, 5)], [0, 1, 2]),
    ("triplet_margin_loss_swap", "F.triplet_margin_loss(x0, x1, x2, margin=2.0, p=1.0, swap=True, reduction='none')",
     [r(4, 5), r(4, 5), r(4, 5)], [0, 1, 2]),
    ("cosine_embedding_loss", "F.cosine_embedding_loss(x0, x1, x2, margin=0.2)", [r(5, 4), r(5, 4), sign(5)],
     [0, 1]),
    ("cosine_embedding_loss_1d", "F.cosine_embedding_loss(x0, x1, x2, reduction='sum')", [r(4), r(4), np.array(-1.0)],
     [0, 1]),
    ("poisson_nll_loss", "F.poisson_nll_loss(x0, x1)", [r(4, 3), r(4, 3, lo=0, hi=4)], [0]),
    ("poisson_nll_loss_full", "F.poisson_nll_loss(x0, x1, log_input=False, full=True, reduction='none')",
     [r(4, 3, lo=0.1, hi=3), r(4, 3, lo=0, hi=4)], [0]),
    ("multilabel_soft_margin_loss", "F.multilabel_soft_margin_loss(x0, x1)",
     [r(3, 5), rng.randint(0, 2, size=(3, 5)).astype(float)], [0]),
    ("multilabel_soft_margin_loss_w", "F.multilabel_soft_margin_loss(x0, x1, weight=x2, reduction='none')",
     [r(3, 5), rng.randint(0, 2, size=(3, 5)).astype(float), r(5, lo=0.1, hi=2)], [0]),
    ("soft_margin_loss", "F.soft_margin_loss(x0, x1)", [r(3, 4), sign(3, 4)], [0]),
    ("hinge_embedding_loss", "F.hinge_embedding_loss(x0, x1, margin=0.5)", [r(3, 4), sign(3, 4)], [0]),
    ("gaussian_nll_loss", "F.gaussian_nll_loss(x0, x1, x2)", [r(4, 3), r(4, 3), r(4, 3, lo=0.1, hi=2)], [0, 1, 2]),
    ("gaussian_nll_loss_full", "F.gaussian_nll_loss(x0, x1, x2, full=True, reduction='sum')",
     [r(4, 3), r(4, 3), r(4, lo=0.1, hi=2)], [0, 1, 2]),
    ("gaussian_nll_loss_clamped", "F.gaussian_nll_loss(x0, x1, x2, eps=0.5, reduction='none')",
     [r(4, 2), r(4, 2), r(4, 1, lo=0.1, hi=1)], [0, 1, 2]),
    # activations
    ("elu", "F.elu(x0, alpha=0.7)", [r(3, 5)], [0]),
    ("selu", "F.selu(x0)", [r(3, 5)], [0]),
    ("celu", "F.celu(x0, alpha=1.5)", [r(3, 5)], [0]),
    ("mish", "F.mish(x0)", [r(3, 5, lo=-5, hi=5)], [0]),
    ("logsigmoid", "F.logsigmoid(x0)", [r(3, 5, lo=-30, hi=30)], [0]),
    ("softsign", "F.softsign(x0)", [r(3, 5)], [0]),
    ("hardtanh", "F.hardtanh(x0, -0.5, 1.5)", [r(3, 5)], [0]),
    ("relu6", "F.relu6(x0 * 4)", [r(3, 5)], [0]),
    ("threshold", "F.threshold(x0, 0.3, -2.0)", [r(3, 5)], [0]),
    ("softshrink", "F.softshrink(x0, 0.6)", [r(3, 5)], [0]),
    ("hardshrink", "F.hardshrink(x0)", [r(3, 5)], [0]),
    ("tanhshrink", "F.tanhshrink(x0)", [r(3, 5)], [0]),
    ("prelu_channels", "F.prelu(x0, x1)", [r(2, 3, 4), r(3)], [0, 1]),
    ("prelu_single", "F.prelu(x0, x1)", [r(2, 3, 4), r(1)], [0, 1]),
    ("rrelu_eval", "F.rrelu(x0, 0.1, 0.3)", [r(3, 5)], [0]),
    ("glu", "F.glu(x0)", [r(3, 6)], [0]),
    ("glu_dim", "F.glu(x0, dim=1)", [r(2, 4, 3)], [0]),
    ("softmin", "F.softmin(x0, dim=1)", [r(3, 5)], [0]),
    ("log_softmax_module", "nn.LogSoftmax(dim=1)(x0)", [r(3, 5)], [0]),
    ("softmax2d", "nn.Softmax2d()(x0)", [r(2, 3, 2, 2)], [0]),
    ("softmin_module", "nn.Softmin(dim=0)(x0)", [r(3, 5)], [0]),
    # padding modes
    ("pad_reflect_3d", "F.pad(x0, (1, 2, 0, 1, 2, 1), mode='reflect')", [r(1, 2, 3, 3, 4)], [0]),
    ("pad_circular_1d", "F.pad(x0, (2, 1), mode='circular')", [r(2, 3, 4)], [0]),
    ("pad_replicate_2d", "F.pad(x0, (2, 1, 3, 0), mode='replicate')", [r(1, 2, 3, 4)], [0]),
]

# Modules: (name, constructor expression, input shapes or None): repr, parameter names/shapes
MODULES = [
    "nn.Conv1d(3, 4, 3)", "nn.Conv1d(4, 6, 5, stride=2, padding=2, dilation=2, groups=2, bias=False)",
    "nn.Conv3d(3, 4, 3, padding=1, bias=False)", "nn.Conv3d(2, 4, (1, 2, 3), stride=(2, 1, 1), padding='valid')",
    "nn.Conv2d(3, 4, 3, padding='same', padding_mode='reflect', dilation=2)",
    "nn.Conv2d(3, 4, 3, padding=2, padding_mode='circular')", "nn.Conv1d(2, 2, 4, padding='same')",
    "nn.Conv3d(2, 2, 3, padding=1, padding_mode='replicate')",
    "nn.MaxPool1d(2)", "nn.MaxPool1d(3, stride=1, padding=1, ceil_mode=True)", "nn.MaxPool3d(2)",
    "nn.AvgPool1d(3)", "nn.AvgPool3d(2, stride=1)", "nn.AdaptiveMaxPool2d(3)", "nn.AdaptiveMaxPool2d((2, 3))",
    "nn.AdaptiveMaxPool1d(4)", "nn.AdaptiveAvgPool1d(3)", "nn.Unfold(3)", "nn.Unfold((2, 3), padding=1)",
    "nn.Fold((4, 5), 2)", "nn.PixelShuffle(2)", "nn.PixelUnshuffle(3)", "nn.CosineSimilarity()",
    "nn.PairwiseDistance()", "nn.ELU()", "nn.ELU(alpha=0.5, inplace=True)", "nn.CELU()", "nn.SELU()",
    "nn.SELU(inplace=True)", "nn.Mish()", "nn.LogSigmoid()", "nn.Softsign()", "nn.PReLU()", "nn.PReLU(3, 0.1)",
    "nn.RReLU()", "nn.RReLU(0.1, 0.3, inplace=True)", "nn.Threshold(0.1, 2.0)", "nn.Hardtanh()",
    "nn.Hardtanh(-2.0, 2.0, True)", "nn.ReLU6(inplace=True)", "nn.ReLU(inplace=True)", "nn.ReLU()",
    "nn.LeakyReLU(0.2, inplace=True)", "nn.SiLU(inplace=True)", "nn.Hardswish(inplace=True)", "nn.GLU()",
    "nn.LogSoftmax(dim=1)", "nn.Softmin(dim=1)", "nn.Softmax2d()", "nn.Tanhshrink()", "nn.Softshrink()",
    "nn.Hardshrink(0.3)", "nn.Dropout1d()", "nn.Dropout2d(0.3)", "nn.Dropout3d(inplace=True)",
    "nn.AlphaDropout(0.2)", "nn.FeatureAlphaDropout()", "nn.Dropout(0.1, inplace=True)", "nn.HuberLoss()",
    "nn.MarginRankingLoss()", "nn.TripletMarginLoss()", "nn.CosineEmbeddingLoss()", "nn.PoissonNLLLoss()",
    "nn.MultiLabelSoftMarginLoss()", "nn.SoftMarginLoss()", "nn.HingeEmbeddingLoss()", "nn.GaussianNLLLoss()",
]


def rounded(v):
    """Nested lists of floats with 12 significant digits (the tests compare at rtol 1e-9)."""
    if isinstance(v, list):
        return [rounded(e) for e in v]
    return float(f"{v:.12g}")


def as_list(out):
    return list(out) if isinstance(out, tuple) else [out]


def main():
    torch.manual_seed(0)
    cases = []
    for name, expr, inputs, diff in CASES:
        inputs = [np.array(rounded(a.tolist()), dtype=np.float64) for a in inputs]
        xs = [torch.tensor(a, dtype=torch.float64, requires_grad=(i in diff)) for i, a in enumerate(inputs)]
        env = {"F": F, "nn": nn, **{f"x{i}": x for i, x in enumerate(xs)}}
        outs = as_list(eval(expr, env))
        y = outs[0]
        cot = torch.tensor(np.array(rounded(rng.uniform(0.5, 1.5, size=tuple(y.shape)).tolist())), dtype=torch.float64)
        grads = torch.autograd.grad((y * cot).sum(), [xs[i] for i in diff])
        cases.append({
            "name": name, "expr": expr,
            "inputs": [a.tolist() for a in inputs], "shapes": [list(a.shape) for a in inputs],
            "diff": diff,
            "outputs": [rounded(o.detach().tolist()) for o in outs], "out_shapes": [list(o.shape) for o in outs],
            "out_dtypes": [str(o.dtype).replace("torch.", "") for o in outs],
            "cotangent": rounded(cot.tolist()), "grads": [rounded(g.tolist()) for g in grads],
        })
    modules = []
    for expr in MODULES:
        m = eval(expr, {"nn": nn})
        modules.append({"expr": expr, "repr": repr(m),
                        "params": [[n, list(p.shape)] for n, p in m.named_parameters()]})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_functional.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases, "modules": modules}, f)
    print(f"wrote {len(cases)} cases and {len(modules)} modules to {path}")


if __name__ == "__main__":
    main()
