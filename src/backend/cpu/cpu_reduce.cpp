// CPU reductions: reduce (every ReduceOp), arg_reduce (max/min with index) and
// cumsum: the argument checks and cumsum's scan; the reduction loops, the reducer and
// storage-type choice per op and dtype live in cpu_reduce_engine.cpp.
#include "backend/family_checks.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_reduce_engine.h"
#include "seek/backend/reduce_op.h"

namespace seek::cpu {

namespace {
using backend_detail::check_keepdim_out;

using namespace reduce_engine;
using reducers::sum_acc_t;

template <typename S, typename O>
void cumsum_typed(const Tensor& in, int64_t dim, const Tensor& out) {
  using A = sum_acc_t<S>;
  Geometry g = make_geometry(in, {dim}, out, true);
  if (g.M == 0 || g.N == 0) return;
  const S* ip = static_cast<const S*>(in.data_ptr());
  O* op = static_cast<O*>(out.data_ptr());
  const int64_t n = g.rsize[0], si = g.rin[0], so = g.rout[0];  // the scanned dim (size-1 dims never get here)
  if (g.inner) {
    parallel_range(g.M, g.M * n, [&](int64_t b, int64_t e) {
      Odometer od(g.ksize, g.kin, g.kout, 0, b);
      for (int64_t m = b; m < e; ++m, od.next()) {
        const S* x = ip + od.in_off;
        O* y = op + od.out_off;
        A a = 0;
        for (int64_t i = 0; i < n; ++i) {
          a += convert<A>(x[i * si]);
          y[i * so] = convert<O>(a);
        }
      }
    });
    return;
  }
  constexpr int64_t W = 1024;
  const int64_t k0 = g.ksize[0], nblk = (k0 + W - 1) / W, tiles = nblk * (g.M / k0);
  const int64_t ks = g.kin[0], kso = g.kout[0];
  parallel_range(tiles, g.M * n, [&](int64_t b, int64_t e) {
    alignas(64) A acc[W];
    for (int64_t t = b; t < e; ++t) {
      Odometer od(g.ksize, g.kin, g.kout, 1, t / nblk);
      const int64_t j0 = (t % nblk) * W, w = std::min(W, k0 - j0);
      const S* x = ip + od.in_off + j0 * ks;
      O* y = op + od.out_off + j0 * kso;
      for (int64_t j = 0; j < w; ++j) acc[j] = 0;
      for (int64_t i = 0; i < n; ++i) {
        const S* xr = x + i * si;
        O* yr = y + i * so;
        if (ks == 1 && kso == 1) {
          for (int64_t j = 0; j < w; ++j) {
            acc[j] += convert<A>(xr[j]);
            yr[j] = convert<O>(acc[j]);
          }
        } else {
          for (int64_t j = 0; j < w; ++j) {
            acc[j] += convert<A>(xr[j * ks]);
            yr[j * kso] = convert<O>(acc[j]);
          }
        }
      }
    }
  });
}

void check_cpu(const char* op, std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts)
    SEEK_CHECK(t->device().is_cpu(), op, ": the CPU backend got a tensor on ", t->device().str());
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                        const ReduceParams& p) {
  check_cpu(reduce_op_name(op), {&in, &out});
  check_keepdim_out(reduce_op_name(op), in, dims, out);
  double n = 1;
  for (int64_t d : dims) n *= static_cast<double>(in.size(d));
  run_reduce(op, in, dims, out, p, n);
}

void CpuBackend::arg_reduce(bool is_max, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  const char* name = is_max ? "argmax" : "argmin";
  check_cpu(name, {&in, &values, &indices});
  const std::vector<int64_t> dims = backend_detail::check_arg_reduce_operands(name, in, dim, values, indices);
  // Both outputs are written through one offset, so they need equal strides.
  if (values.strides() != indices.strides()) {
    Tensor v = empty(values.sizes(), TensorOptions(values.dtype())), i = empty(indices.sizes(), TensorOptions(kInt64));
    arg_reduce(is_max, in, dim, v, i);
    copy(v, values);
    copy(i, indices);
    return;
  }
  run_arg_reduce(is_max, in, dims, values, indices);
}

void CpuBackend::cumsum(const Tensor& in, int64_t dim, const Tensor& out) {
  check_cpu("cumsum", {&in, &out});
  SEEK_CHECK_SHAPE(in.sizes() == out.sizes(), "cumsum: output shape ", shape_str(out.sizes()),
                   " differs from the input shape ", shape_str(in.sizes()));
  if (in.dim() == 0) {
    copy(in, out);
    return;
  }
  SEEK_CHECK_INDEX(dim >= 0 && dim < in.dim(), "cumsum: dim ", dim, " out of range for a ", in.dim(), "-d input");
  SEEK_DISPATCH_ALL(in.dtype(), "cumsum", [&] {
    using S = scalar_t;
    if constexpr (std::is_integral_v<S>) {
      SEEK_CHECK_DTYPE(out.dtype() == kInt64, "cumsum: the output of an integer cumsum must be int64, got ",
                       out.dtype());
      cumsum_typed<S, int64_t>(in, dim, out);
    } else {
      SEEK_CHECK_DTYPE(out.dtype() == in.dtype(), "cumsum: the output must have the input dtype ", in.dtype());
      cumsum_typed<S, S>(in, dim, out);
    }
  });
}

}  // namespace seek::cpu
