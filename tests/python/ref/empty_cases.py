"""Ops on zero-size inputs, shared by gen_empty.py (which runs them with torch and writes
empty.json) and test_empty_tensors.py (which runs them with seek and compares).

Each case: (name, inputs, expression). inputs are (shape, requires_grad[, dtype]); float inputs
hold 0.5, 1.0, 1.5, ... in row-major order. The expression sees x0, x1, ..., T (the framework)
and F (its nn.functional)."""

CASES = [
    ("mm_3x0_0x4", [((3, 0), True), ((0, 4), True)], "x0 @ x1"),
    ("mm_0x3_3x4", [((0, 3), True), ((3, 4), True)], "x0.mm(x1)"),
    ("bmm_empty_inner", [((2, 3, 0), True), ((2, 0, 4), True)], "T.bmm(x0, x1)"),
    ("matmul_batch0", [((0, 3, 2), True), ((2, 4), True)], "T.matmul(x0, x1)"),
    ("mv_empty", [((3, 0), True), ((0,), True)], "x0.mv(x1)"),
    ("dot_empty", [((0,), True), ((0,), True)], "x0.dot(x1)"),
    ("sum_all", [((0, 3), True)], "x0.sum()"),
    ("sum_dim0", [((0, 3), True)], "x0.sum(0)"),
    ("sum_dim1", [((0, 3), True)], "x0.sum(1)"),
    ("mean_all", [((0, 3), True)], "x0.mean()"),
    ("mean_dim0", [((0, 3), True)], "x0.mean(0)"),
    ("prod_all", [((0, 3), False)], "x0.prod()"),
    ("max_all", [((0, 3), False)], "x0.max()"),
    ("max_dim0", [((0, 3), False)], "x0.max(0)[0]"),
    ("max_dim1", [((0, 3), True)], "x0.max(1)[0]"),
    ("amax_dim1", [((0, 3), True)], "x0.amax(1)"),
    ("argmax_all", [((0, 3), False)], "x0.argmax()"),
    ("var_all", [((0, 3), False)], "x0.var()"),
    ("std_dim0", [((0, 3), False)], "x0.std(0)"),
    ("logsumexp_dim0", [((0, 3), True)], "x0.logsumexp(0)"),
    ("norm_all", [((0, 3), True)], "x0.norm()"),
    ("cumsum", [((0, 3), True)], "x0.cumsum(0)"),
    ("all_any", [((0, 3), False)], "T.stack([x0.bool().all(), x0.bool().any()])"),
    ("cat_empty_and_full", [((0, 3), True), ((2, 3), True)], "T.cat([x0, x1], 0)"),
    ("cat_empties", [((0, 3), True), ((0, 3), True)], "T.cat([x0, x1], 0)"),
    ("cat_dim1_empty", [((2, 0), True), ((2, 3), True)], "T.cat([x0, x1], 1)"),
    ("stack_empties", [((0, 3), True), ((0, 3), True)], "T.stack([x0, x1])"),
    ("linear_batch0", [((0, 4), True), ((5, 4), True), ((5,), True)], "F.linear(x0, x1, x2)"),
    ("linear_in0", [((3, 0), True), ((5, 0), True), ((5,), True)], "F.linear(x0, x1, x2)"),
    ("conv2d_batch0", [((0, 2, 5, 5), True), ((3, 2, 3, 3), True), ((3,), True)], "F.conv2d(x0, x1, x2)"),
    ("max_pool2d_batch0", [((0, 2, 4, 4), True)], "F.max_pool2d(x0, 2)"),
    ("avg_pool2d_batch0", [((0, 2, 4, 4), True)], "F.avg_pool2d(x0, 2)"),
    ("softmax_rows0", [((0, 4), True)], "x0.softmax(-1)"),
    ("softmax_cols0", [((4, 0), True)], "x0.softmax(-1)"),
    ("log_softmax_cols0", [((4, 0), True)], "x0.log_softmax(1)"),
    ("layer_norm_batch0", [((0, 4), True)], "F.layer_norm(x0, (4,))"),
    ("relu_exp", [((0, 3), True)], "x0.relu() + x0.exp()"),
    ("mul_broadcast", [((0, 3), True), ((3,), True)], "x0 * x1"),
    ("where_empty", [((0, 3), True), ((0, 3), True)], "T.where(x0 > 1, x0, x1)"),
    ("clamp_empty", [((0, 3), True)], "x0.clamp(0.0, 1.0)"),
    ("reshape_transpose", [((0, 3), True)], "x0.reshape(3, 0).t().contiguous()"),
    ("expand_empty", [((1, 3), True)], "x0.expand(0, 3) * 2"),
    ("index_empty_long", [((4, 3), True)], "x0[T.tensor([], dtype=T.int64)]"),
    ("index_select_empty", [((4, 3), True)], "x0.index_select(0, T.tensor([], dtype=T.int64))"),
    ("gather_empty", [((4, 3), True)], "x0.gather(1, T.zeros(4, 0, dtype=T.int64))"),
    ("masked_select_none", [((4, 3), True)], "x0.masked_select(x0 > 100)"),
    ("slice_empty", [((4, 3), True)], "x0[2:2]"),
    ("mse_loss_empty", [((0, 3), True), ((0, 3), False)], "F.mse_loss(x0, x1)"),
    ("mse_loss_sum_empty", [((0, 3), True), ((0, 3), False)], "F.mse_loss(x0, x1, reduction='sum')"),
    ("cross_entropy_batch0", [((0, 5), True)], "F.cross_entropy(x0, T.zeros(0, dtype=T.int64))"),
    ("sort_empty", [((0,), True)], "x0.sort()[0]"),
    ("topk_k0", [((4,), True)], "x0.topk(0)[0]"),
]


def make_inputs(T, spec):
    xs = []
    for item in spec:
        shape, requires_grad = item[0], item[1]
        n = 1
        for s in shape:
            n *= s
        x = (T.arange(n, dtype=T.float64) * 0.5 + 0.5).reshape(shape)
        if requires_grad:
            x.requires_grad_(True)
        xs.append(x)
    return xs


def run(T, F, spec, expr):
    """(output, [grad or None per input], error type name or None)."""
    xs = make_inputs(T, spec)
    env = {"T": T, "F": F}
    env.update({f"x{i}": x for i, x in enumerate(xs)})
    try:
        out = eval(expr, env)
    except Exception as e:  # the error is part of the expected behaviour
        return None, [], type(e).__name__
    grads = []
    if out.requires_grad:
        out.sum().backward()
        grads = [x.grad if x.requires_grad else None for x in xs]
    return out, grads, None
