// The ops of seek/ops/{shape,linalg,index}_extra.h on every device: flip, roll, repeat,
// tril, diagonal, unfold, diag_embed, rot90, einsum, baddbmm, tensordot, kron,
// scatter_reduce (every reduction), take_along_dim, index_fill, masked_scatter and
// index_put with accumulate, on transposed and stepped inputs, forward and gradients,
// against the same op in f64 on the CPU. These ops are compositions of the copy,
// index, gemm and elementwise families, so a device that has those runs them.
#include <functional>

#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class IndexExtraTest : public DeviceTest {};

Tensor ints(const std::vector<int64_t>& v, const Shape& s, Device d) { return tensor<int64_t>(v, s).to(d); }

struct Case {
  const char* name;
  std::vector<Shape> shapes;
  std::vector<BackendFamily> families;
  // The op on inputs that live on device d.
  std::function<Tensor(const std::vector<Tensor>&, Device)> fn;
};

const std::vector<Case>& cases() {
  using F = BackendFamily;
  using V = std::vector<Tensor>;
  static const std::vector<Case> all = [] {
    std::vector<Case> c = {
        {"flip",
         {{3, 4}},
         {F::Index},
         [](const V& x, Device) {
           return x[0].flip({0, 1});
         }},
        {"roll",
         {{3, 5}},
         {F::Copy},
         [](const V& x, Device) {
           return x[0].roll({2, -1}, {1, 0});
         }},
        {"repeat",
         {{3, 4}},
         {F::Copy},
         [](const V& x, Device) {
           return x[0].repeat({2, 1, 2});
         }},
        {"tril", {{4, 5}}, {F::Ternary}, [](const V& x, Device) { return x[0].tril(1); }},
        {"diagonal", {{4, 5}}, {F::Copy}, [](const V& x, Device) { return x[0].diagonal(-1) * 2.0; }},
        {"unfold", {{3, 7}}, {F::Index}, [](const V& x, Device) { return x[0].unfold(1, 3, 2) * 2.0; }},
        {"diag_embed", {{3, 4}}, {F::Copy}, [](const V& x, Device) { return x[0].diag_embed(1); }},
        {"rot90", {{3, 4}}, {F::Index}, [](const V& x, Device) { return x[0].rot90(); }},
        {"einsum_attention",
         {{2, 3, 4}, {2, 5, 4}},
         {F::Gemm},
         [](const V& x, Device) { return einsum("bqd,bkd->bqk", x); }},
        {"einsum_trace_outer",
         {{4, 4}, {3}},
         {F::Gemm, F::Reduce},
         [](const V& x, Device) { return einsum("ii,j->j", x); }},
        {"baddbmm",
         {{2, 3, 5}, {2, 3, 4}, {2, 4, 5}},
         {F::Gemm},
         [](const V& x, Device) { return baddbmm(x[0], x[1], x[2], 0.5, 1.5); }},
        {"tensordot",
         {{3, 4, 2}, {4, 3, 5}},
         {F::Gemm},
         [](const V& x, Device) {
           return tensordot(x[0], x[1], {1, 0}, {0, 1});
         }},
        {"kron", {{2, 3}, {3, 2}}, {F::Binary}, [](const V& x, Device) { return kron(x[0], x[1]); }},
        {"take_along_dim",
         {{3, 4}},
         {F::Index},
         [](const V& x, Device d) {
           return take_along_dim(x[0], ints({0, 3, 1, 1}, {1, 4}, d), 1);
         }},
        {"index_fill",
         {{3, 4}},
         {F::Index, F::Ternary},
         [](const V& x, Device d) {
           return x[0].index_fill(1, ints({0, -1}, {2}, d), 2.0);
         }},
        {"masked_scatter",
         {{2, 3}, {7}},
         {F::Index, F::Ternary},
         [](const V& x, Device d) {
           return x[0].masked_scatter(tensor<bool>({true, false, true}, {3}).to(d), x[1]);
         }},
        {"index_put_accumulate",
         {{4, 3}, {5, 3}},
         {F::Index},
         [](const V& x, Device d) {
           return index_put(x[0], {ints({0, 2, 0, 3, 0}, {5}, d)}, x[1], true);
         }},
    };
    for (const char* reduce : {"sum", "prod", "mean", "amax", "amin"}) {
      for (bool include_self : {true, false}) {
        c.push_back({include_self ? "scatter_reduce_self" : "scatter_reduce_noself",
                     {{3, 5}, {2, 5}},
                     {F::Index},
                     [reduce, include_self](const V& x, Device d) {
                       return scatter_reduce(x[0], 0, ints({0, 1, 2, 0, 0, 2, 0, 1, 1, 2}, {2, 5}, d), x[1], reduce,
                                             include_self);
                     }});
      }
    }
    return c;
  }();
  return all;
}

SEEK_DEVICE_TEST(IndexExtraTest, ForwardAndGradients) {
  uint64_t seed = 2101;
  for (const Case& c : cases()) {
    // Backward accumulates gradients (binary) and sums broadcast or repeated ones (reduce).
    bool skip = !supported(BackendFamily::Binary) || !supported(BackendFamily::Reduce);
    for (BackendFamily f : c.families) skip = skip || !supported(f);
    if (skip) continue;
    const std::string what = str(c.name, " ", dtype_name(dtype()));
    std::vector<Tensor> x, x64;
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      const Layout layout = i % 2 == 0 ? Layout::Transposed : Layout::Stepped;
      x.push_back(leaf(random_f64(c.shapes[i], -2, 2, ++seed), dtype(), device(), layout));
      x64.push_back(to_f64(x.back()).requires_grad_());
    }
    const Tensor y = c.fn(x, device());
    const Tensor want = c.fn(x64, kCPU);
    expect_close(y, want, loose_tolerance(dtype()), what, 4.0);
    const Tensor gy = place(random_f64(y.sizes(), -1, 1, ++seed), dtype(), device());
    const std::vector<Tensor> got = grads_of(y, gy, x), ref = grads_of(want, to_f64(gy), x64);
    for (size_t i = 0; i < x.size(); ++i)
      expect_close(got[i], ref[i], loose_tolerance(dtype()), str("grad ", i, " of ", what), 6.0);
  }
}

SEEK_INSTANTIATE_ON_DEVICES(IndexExtraTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test
