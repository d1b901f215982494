"""Memory-format cases shared by gen_memory_format.py (which runs them with torch and writes
memory_format.json) and test_memory_format.py (which runs them with seek and compares).

Each case: (name, expression). The expression sees T (the framework), F (its nn.functional), CL
(T.channels_last), x (a [2, 3, 4, 6] float32 tensor holding 0, 1, 2, ... row-major), cl (x laid out
channels_last), b (a [3, 1, 1] bias) and w (a [5, 3, 3, 3] conv weight). A result is compared by its
strides over dims of size > 1 (PyTorch leaves size-1 strides arbitrary), its values and, for a tuple
(out, input) where input requires grad, the strides of input.grad after out.sum().backward()."""

CASES = [
    ("to_channels_last", "x.to(memory_format=CL)"),
    ("contiguous_channels_last", "x.contiguous(memory_format=CL)"),
    ("contiguous_of_cl", "cl.contiguous()"),
    ("to_double_keeps_cl", "cl.to(T.float64)"),
    ("double_method_keeps_cl", "cl.double()"),
    ("clone_cl", "cl.clone()"),
    ("clone_cl_contiguous", "cl.clone(memory_format=T.contiguous_format)"),
    ("clone_transposed", "x.transpose(0, 1).clone()"),
    ("clone_transposed_sliced", "x.transpose(2, 3)[:, :, ::2].clone()"),
    ("clone_cl_sliced", "cl[:, :, ::2].clone()"),
    ("clone_permuted_sliced", "x.permute(0, 2, 3, 1)[:, ::2].clone()"),
    ("empty_like_cl", "T.empty_like(cl).fill_(1)"),
    ("zeros_like_cl", "T.zeros_like(cl)"),
    ("ones_like_cl_contiguous", "T.ones_like(cl, memory_format=T.contiguous_format)"),
    ("full_like_transposed", "T.full_like(x.transpose(1, 3), 2.0)"),
    ("empty_like_to_cl", "T.zeros_like(x, memory_format=CL)"),
    ("empty_channels_last", "T.empty(2, 3, 4, 6, memory_format=CL).fill_(0)"),
    ("cl3d", "T.arange(720.0).reshape(2, 3, 4, 5, 6).to(memory_format=T.channels_last_3d)"),
    ("relu_cl", "T.relu(cl)"),
    ("exp_cl", "cl.exp()"),
    ("mul_scalar_cl", "cl * 2"),
    ("scalar_mul_cl", "2 * cl"),
    ("gt_cl", "cl > 3"),
    ("add_bias_cl", "cl + b"),
    ("bias_add_cl", "b + cl"),
    ("nchw_plus_cl", "x + cl"),
    ("cl_plus_nchw", "cl + x"),
    ("where_cl", "T.where(cl > 5, cl, x)"),
    ("clamp_cl", "cl.clamp(1, 10)"),
    ("addcmul_bias_cl", "T.addcmul(b, cl, x)"),
    ("sliced_cl_mul", "cl[:, :, ::2] * 2"),
    ("transposed_contiguous", "x.permute(0, 2, 3, 1).contiguous()"),
    ("conv_cl", "F.conv2d(cl, w, None, 1, 1)"),
    ("conv_cl_weight", "F.conv2d(x, w.contiguous(memory_format=CL))"),
    ("max_pool_cl", "F.max_pool2d(cl, 2)"),
    ("avg_pool_cl", "F.avg_pool2d(cl, 2)"),
    ("adaptive_pool_cl", "F.adaptive_avg_pool2d(cl, (1, 1))"),
    ("batch_norm_cl", "F.batch_norm(cl, None, None, None, None, True)"),
    ("conv_cl_grad", "grad(lambda t: F.conv2d(t, w, None, 1, 1), cl)"),
    ("bn_relu_pool_cl_grad", "grad(lambda t: F.max_pool2d(F.relu(F.batch_norm(t, None, None, None, None, True)), 2), cl)"),
    ("add_bias_cl_grad", "grad(lambda t: (t + b).relu(), cl)"),
]


def run(T, F, expr):
    """Evaluates expr with framework T; returns (result, input_with_grad or None)."""
    x = T.arange(144.0).reshape(2, 3, 4, 6)
    cl = x.contiguous(memory_format=T.channels_last)
    b = T.arange(3.0).reshape(3, 1, 1) - 1
    w = (T.arange(135.0).reshape(5, 3, 3, 3) - 67) / 100

    def grad(fn, inp):
        leaf = inp.detach().clone().requires_grad_(True)
        return fn(leaf), leaf

    r = eval(expr, {"T": T, "F": F, "CL": T.channels_last, "x": x, "cl": cl, "b": b, "w": w, "grad": grad})
    if isinstance(r, tuple):
        out, leaf = r
        (out * out).sum().backward()
        return out, leaf
    return r, None


def strides(t):
    """Strides over dims of size > 1 (the only ones that address anything)."""
    return [s for s, n in zip(t.stride(), t.shape) if n > 1]
