// Linear algebra family: matmul and its special forms on top of Backend::gemm.
//
// Every op is reduced to one Plan: both operands seen as (stacks of) matrices
// (a 1-D operand gains a dim of size 1), batch dims broadcast, and the result
// shape with the added dims removed. The forward folds a batched left operand
// into one tall matrix when the right one is a plain matrix (the Linear-layer
// case: one big GEMM instead of many small ones) and otherwise hands broadcast
// batch dims to gemm as stride-0 dims, so nothing is materialised. The backward
// is written with these same ops, so it runs on every backend; it reduces over
// broadcast batch dims with sum_to only where one matrix product cannot do it.
#include "seek/ops/linalg.h"

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/core/autocast.h"
#include "seek/ops/binary.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::sum_to;
using autograd::variable_list;

namespace {

struct Plan {
  Shape a2, b2;  // the operands as matrices / stacks of matrices
  Shape batch;   // broadcast batch dims
  int64_t M = 0, K = 0, N = 0;
  Shape out2;  // batch + [M, N]
  Shape out;   // the op's result shape
};

// "2x3x4", the way torch prints shapes in matmul errors.
std::string mat_str(const Shape& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) r += 'x';
    r += std::to_string(s[i]);
  }
  return r;
}

Shape batch_of(const Shape& s) { return Shape(s.begin(), s.end() - 2); }
Shape with_mat(Shape batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(a, op, "input");
  check_defined(b, op, "other");
  check_same_device(op, {a, b});
  SEEK_CHECK_DTYPE(a.dtype() == b.dtype(), op, ": expected both operands to have the same dtype, but got ", a.dtype(),
                   " and ", b.dtype());
  SEEK_CHECK_DTYPE(a.dtype() != kBool, op, ": not supported for bool tensors");
}

// a2/b2 are the shapes of a and b as matrices; out is the result shape.
Plan make_plan(const char* op, const Tensor& a, const Tensor& b, Shape a2, Shape b2) {
  Plan p;
  p.M = a2[a2.size() - 2];
  p.K = a2.back();
  p.N = b2.back();
  SEEK_CHECK_SHAPE(p.K == b2[b2.size() - 2], op, ": mat1 and mat2 shapes cannot be multiplied (", mat_str(a.sizes()),
                   " and ", mat_str(b.sizes()), ")");
  try {
    p.batch = broadcast_shapes(batch_of(a2), batch_of(b2), op);
  } catch (const ShapeError&) {
    throw ShapeError(str(op, ": the batch dimensions of ", shape_str(a.sizes()), " and ", shape_str(b.sizes()),
                         " cannot be broadcast together"));
  }
  p.a2 = std::move(a2);
  p.b2 = std::move(b2);
  p.out2 = with_mat(p.batch, p.M, p.N);
  p.out = p.out2;
  return p;
}

// Whether the batch dims and the row dim of t merge into one strided dim,
// so that t can be viewed as one [rows, cols] matrix without copying.
bool rows_foldable(const Tensor& t) {
  int64_t prev_size = 1, prev_stride = 0;
  bool have = false;
  for (int64_t d = t.dim() - 2; d >= 0; --d) {
    if (t.size(d) == 1) continue;
    if (have && t.stride(d) != prev_stride * prev_size) return false;
    prev_size = t.size(d);
    prev_stride = t.stride(d);
    have = true;
  }
  return true;
}

// out (contiguous, numel of p.out2) = alpha * a @ b + beta * out. No history.
void gemm_into(const Plan& p, const Tensor& a_in, const Tensor& b_in, const Tensor& out, double alpha, double beta) {
  NoGradGuard no_grad;
  Tensor a = a_in.reshape(p.a2), b = b_in.reshape(p.b2);
  Backend& be = backend(a.device());
  const int64_t B = shape_numel(p.batch);
  if (!p.batch.empty() && b.dim() == 2 && rows_foldable(a)) {
    be.gemm(a.reshape({1, B * p.M, p.K}), b.unsqueeze(0), out.view({1, B * p.M, p.N}), alpha, beta);
    return;
  }
  Tensor a3 = a.expand(with_mat(p.batch, p.M, p.K)).reshape({B, p.M, p.K});
  Tensor b3 = b.expand(with_mat(p.batch, p.K, p.N)).reshape({B, p.K, p.N});
  be.gemm(a3, b3, out.view({B, p.M, p.N}), alpha, beta);
}

// d(a @ b)/da for g2 of shape p.out2, as a tensor of shape p.a2.
Tensor grad_lhs(const Plan& p, const Tensor& g2, const Tensor& b2) {
  const bool a_batched = p.a2.size() > 2;
  if (!a_batched && !p.batch.empty()) {
    // sum_i g_i @ b_i^T as one product: [M, B*N] @ [B*N, K].
    const int64_t B = shape_numel(p.batch);
    Tensor gm = g2.reshape({B, p.M, p.N}).permute({1, 0, 2}).reshape({p.M, B * p.N});
    Tensor bm = b2.reshape({B, p.K, p.N}).permute({1, 0, 2}).reshape({p.K, B * p.N});
    return mm(gm, bm.t());
  }
  Tensor ga = matmul(g2, b2.mT());
  return batch_of(p.a2) == p.batch ? ga : sum_to(ga, p.a2);
}

// d(a @ b)/db for g2 of shape p.out2, as a tensor of shape p.b2.
Tensor grad_rhs(const Plan& p, const Tensor& g2, const Tensor& a2) {
  const bool b_batched = p.b2.size() > 2;
  if (!b_batched && !p.batch.empty()) {
    // sum_i a_i^T @ g_i as one product: [K, B*M] @ [B*M, N].
    const int64_t rows = shape_numel(p.batch) * p.M;
    return mm(a2.reshape({rows, p.K}).t(), g2.reshape({rows, p.N}));
  }
  Tensor gb = matmul(a2.mT(), g2);
  return batch_of(p.b2) == p.batch ? gb : sum_to(gb, p.b2);
}

// The differentiable product of a and b under plan p, recorded as `node`.
Tensor product(const char* node, const Tensor& a, const Tensor& b, const Plan& p) {
  Tensor out = alloc(p.out, a.dtype(), a.device());
  gemm_into(p, a, b, out, 1.0, 0.0);
  if (autograd::needs_grad({a, b})) {
    // Each input's gradient needs only the other input.
    SavedTensor sa(b.requires_grad() ? a : Tensor()), sb(a.requires_grad() ? b : Tensor());
    Shape a_shape = a.sizes(), b_shape = b.sizes();
    autograd::record(node, {a, b}, {out},
                     [p, sa, sb, a_shape, b_shape](const variable_list& g, const std::vector<bool>& need) {
                       Tensor g2 = g[0].reshape(p.out2), ga, gb;
                       if (need[0]) ga = grad_lhs(p, g2, sb.get().reshape(p.b2)).reshape(a_shape);
                       if (need[1]) gb = grad_rhs(p, g2, sa.get().reshape(p.a2)).reshape(b_shape);
                       return variable_list{ga, gb};
                     });
  }
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a_arg, const Tensor& b_arg) {
  const Tensor a = amp::autocast_lower(a_arg);  // autocast: lower-precision op
  const Tensor b = amp::autocast_lower(b_arg);
  check_operands("matmul", a, b);
  SEEK_CHECK_SHAPE(a.dim() >= 1 && b.dim() >= 1, "matmul: both arguments need to be at least 1-D, but they are ",
                   a.dim(), "-D and ", b.dim(), "-D");
  Shape a2 = a.dim() == 1 ? Shape{1, a.size(0)} : a.sizes();
  Shape b2 = b.dim() == 1 ? Shape{b.size(0), 1} : b.sizes();
  Plan p = make_plan("matmul", a, b, std::move(a2), std::move(b2));
  // Drop the dims that 1-D operands gained.
  p.out = p.batch;
  if (a.dim() > 1) p.out.push_back(p.M);
  if (b.dim() > 1) p.out.push_back(p.N);
  const char* node = a.dim() == 1 && b.dim() == 1   ? "DotBackward"
                     : a.dim() == 2 && b.dim() == 1 ? "MvBackward"
                     : a.dim() == 2 && b.dim() == 2 ? "MmBackward"
                                                    : "MatmulBackward";
  return product(node, a, b, p);
}

Tensor mm(const Tensor& a_arg, const Tensor& b_arg) {
  const Tensor a = amp::autocast_lower(a_arg);  // autocast: lower-precision op
  const Tensor b = amp::autocast_lower(b_arg);
  check_operands("mm", a, b);
  SEEK_CHECK_SHAPE(a.dim() == 2 && b.dim() == 2, "mm: expected 2-D matrices, got shapes ", shape_str(a.sizes()),
                   " and ", shape_str(b.sizes()));
  return product("MmBackward", a, b, make_plan("mm", a, b, a.sizes(), b.sizes()));
}

Tensor bmm(const Tensor& a_arg, const Tensor& b_arg) {
  const Tensor a = amp::autocast_lower(a_arg);  // autocast: lower-precision op
  const Tensor b = amp::autocast_lower(b_arg);
  check_operands("bmm", a, b);
  SEEK_CHECK_SHAPE(a.dim() == 3 && b.dim() == 3, "bmm: expected 3-D tensors, got shapes ", shape_str(a.sizes()),
                   " and ", shape_str(b.sizes()));
  SEEK_CHECK_SHAPE(a.size(0) == b.size(0), "bmm: batch sizes must be equal (bmm does not broadcast), got shapes ",
                   shape_str(a.sizes()), " and ", shape_str(b.sizes()));
  return product("BmmBackward", a, b, make_plan("bmm", a, b, a.sizes(), b.sizes()));
}

Tensor mv(const Tensor& a, const Tensor& v) {
  check_operands("mv", a, v);
  SEEK_CHECK_SHAPE(a.dim() == 2 && v.dim() == 1, "mv: expected a 2-D matrix and a 1-D vector, got shapes ",
                   shape_str(a.sizes()), " and ", shape_str(v.sizes()));
  Plan p = make_plan("mv", a, v, a.sizes(), {v.size(0), 1});
  p.out = {p.M};
  return product("MvBackward", a, v, p);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_operands("dot", a, b);
  SEEK_CHECK_SHAPE(a.dim() == 1 && b.dim() == 1, "dot: 1-D tensors expected, but got shapes ", shape_str(a.sizes()),
                   " and ", shape_str(b.sizes()));
  SEEK_CHECK_SHAPE(a.size(0) == b.size(0), "dot: inconsistent tensor size, expected tensors ", shape_str(a.sizes()),
                   " and ", shape_str(b.sizes()), " to have the same number of elements");
  Plan p = make_plan("dot", a, b, {1, a.size(0)}, {b.size(0), 1});
  p.out = {};
  return product("DotBackward", a, b, p);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  check_defined(a, "outer", "input");
  check_defined(b, "outer", "vec2");
  check_same_device("outer", {a, b});
  SEEK_CHECK_SHAPE(a.dim() == 1 && b.dim() == 1, "outer: 1-D tensors expected, but got shapes ", shape_str(a.sizes()),
                   " and ", shape_str(b.sizes()));
  DType ct = promote_types(a.dtype(), b.dtype());
  if (ct == kBool) return logical_and(a.unsqueeze(1), b.unsqueeze(0));
  Tensor ac = a.to(ct), bc = b.to(ct);  // differentiable casts
  return product("OuterBackward", ac, bc, make_plan("outer", ac, bc, {a.size(0), 1}, {1, b.size(0)}));
}

Tensor addmm(const Tensor& bias_arg, const Tensor& a_arg, const Tensor& b_arg, Scalar beta, Scalar alpha) {
  const Tensor bias = amp::autocast_lower(bias_arg);  // autocast: lower-precision op
  const Tensor a = amp::autocast_lower(a_arg);
  const Tensor b = amp::autocast_lower(b_arg);
  check_defined(bias, "addmm", "input");
  check_operands("addmm", a, b);
  check_same_device("addmm", {bias, a, b});
  SEEK_CHECK_SHAPE(a.dim() == 2 && b.dim() == 2, "addmm: expected 2-D mat1 and mat2, got shapes ", shape_str(a.sizes()),
                   " and ", shape_str(b.sizes()));
  SEEK_CHECK_DTYPE(bias.dtype() == a.dtype(), "addmm: expected input, mat1 and mat2 to have the same dtype, but got ",
                   bias.dtype(), ", ", a.dtype(), " and ", b.dtype());
  SEEK_CHECK_VALUE(is_floating(a.dtype()) || (!alpha.is_floating() && !beta.is_floating()),
                   "addmm: for integral input tensors, alpha and beta must not be floating point numbers, got alpha=",
                   alpha, " and beta=", beta);
  Plan p = make_plan("addmm", a, b, a.sizes(), b.sizes());
  Shape mn{p.M, p.N};
  bool fits = bias.dim() <= 2;
  for (int64_t i = 0; fits && i < bias.dim(); ++i) {
    int64_t s = bias.size(bias.dim() - 1 - i);
    fits = s == 1 || s == mn[1 - i];
  }
  SEEK_CHECK_SHAPE(fits, "addmm: input of shape ", shape_str(bias.sizes()), " cannot be broadcast to the result shape ",
                   shape_str(mn));
  Tensor out = alloc(mn, a.dtype(), a.device());
  const double beta_v = beta.to_double(), alpha_v = alpha.to_double();
  if (beta_v != 0.0) {
    NoGradGuard no_grad;
    backend(out.device()).copy(bias.expand(mn), out);
  }
  gemm_into(p, a, b, out, alpha_v, beta_v);
  if (autograd::needs_grad({bias, a, b})) {
    SavedTensor sa(b.requires_grad() ? a : Tensor()), sb(a.requires_grad() ? b : Tensor());
    Shape bias_shape = bias.sizes();
    autograd::record(
        "AddmmBackward", {bias, a, b}, {out},
        [sa, sb, bias_shape, alpha, beta, alpha_v, beta_v](const variable_list& g, const std::vector<bool>& need) {
          Tensor gbias, ga, gb;
          if (need[0]) gbias = sum_to(beta_v == 1.0 ? g[0] : g[0] * beta, bias_shape);
          Tensor gs = alpha_v == 1.0 ? g[0] : g[0] * alpha;
          if (need[1]) ga = mm(gs, sb.get().t());
          if (need[2]) gb = mm(sa.get().t(), gs);
          return variable_list{gbias, ga, gb};
        });
  }
  return out;
}

// ---- methods ----
Tensor Tensor::matmul(const Tensor& o) const { return seek::matmul(*this, o); }
Tensor Tensor::mm(const Tensor& o) const { return seek::mm(*this, o); }
Tensor Tensor::bmm(const Tensor& o) const { return seek::bmm(*this, o); }
Tensor Tensor::mv(const Tensor& v) const { return seek::mv(*this, v); }
Tensor Tensor::dot(const Tensor& o) const { return seek::dot(*this, o); }
Tensor Tensor::outer(const Tensor& o) const { return seek::outer(*this, o); }

}  // namespace seek
