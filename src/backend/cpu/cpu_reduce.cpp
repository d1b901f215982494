// CPU reductions: reduce (every ReduceOp), arg_reduce (max/min with index) and
// cumsum. The loops live in cpu_reduce_engine.h; this file picks the reducer
// and the storage types for each op and dtype.
#include "backend/cpu/cpu_eigen.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_reduce_engine.h"

namespace seek::cpu {

namespace {

using namespace reduce_engine;

template <typename R, typename S, typename O>
void reduce_into(const R& r, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out) {
  Geometry g = make_geometry(in, dims, out, false);
  const S* ip = static_cast<const S*>(in.data_ptr());
  O* op = static_cast<O*>(out.data_ptr());
  run_reduction(r, g, ip, [op, &r](int64_t off, const typename R::acc_t& a) { op[off] = convert<O>(r.finalize(a)); });
}

bool is_float_only(ReduceOp op) { return reduce_op_kind(op) == ReduceKind::Floating; }

// The reducer of row `op` for storage type S, written into out; the row's kind says
// the output dtype (Sum/Prod of integers and bool write int64, All/Any bool, the rest
// in's dtype) and whether integers are defined.
template <ReduceOp op, typename S>
void reduce_row(const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out, const ReduceParams& p,
                double n) {
  constexpr ReduceKind kind = reduce_op_kind(op);
  auto expect = [&](DType want) {
    SEEK_CHECK_DTYPE(out.dtype() == want, reduce_op_name(op), ": the output must be ", want, " for ", in.dtype(),
                     " input, got ", out.dtype());
  };
  if constexpr (kind == ReduceKind::Sum) {
    using O = std::conditional_t<std::is_integral_v<S>, int64_t, S>;
    using R = std::conditional_t<op == ReduceOp::Sum, Sum<S>, Prod<S>>;
    expect(std::is_integral_v<S> ? kInt64 : in.dtype());
    reduce_into<R, S, O>(R{}, in, dims, out);
  } else if constexpr (kind == ReduceKind::Compare) {
    using R = std::conditional_t<op == ReduceOp::Max, Max<S>, Min<S>>;
    expect(in.dtype());
    reduce_into<R, S, S>(R{}, in, dims, out);
  } else if constexpr (kind == ReduceKind::Bool) {
    using R = std::conditional_t<op == ReduceOp::All, All<S>, Any<S>>;
    expect(kBool);
    reduce_into<R, S, bool>(R{}, in, dims, out);
  } else if constexpr (std::is_floating_point_v<S> || is_reduced_float_v<S>) {
    expect(in.dtype());
    if constexpr (op == ReduceOp::Mean) {
      reduce_into<Mean<S>, S, S>(Mean<S>(1.0 / n), in, dims, out);
    } else if constexpr (op == ReduceOp::SumSquares) {
      reduce_into<SumSquares<S>, S, S>(SumSquares<S>(false), in, dims, out);
    } else if constexpr (op == ReduceOp::SumAbsPow) {
      reduce_into<SumAbsPow<S>, S, S>(SumAbsPow<S>(p.p, false), in, dims, out);
    } else if constexpr (op == ReduceOp::MaxAbs) {
      reduce_into<MaxAbs<S>, S, S>(MaxAbs<S>{}, in, dims, out);
    } else if constexpr (op == ReduceOp::Norm) {
      if (std::isinf(p.p)) reduce_into<MaxAbs<S>, S, S>(MaxAbs<S>{}, in, dims, out);
      else if (p.p == 1.0) reduce_into<SumAbs<S>, S, S>(SumAbs<S>{}, in, dims, out);
      else if (p.p == 2.0) reduce_into<SumSquares<S>, S, S>(SumSquares<S>(true), in, dims, out);
      else reduce_into<SumAbsPow<S>, S, S>(SumAbsPow<S>(p.p, true), in, dims, out);
    } else if constexpr (op == ReduceOp::Var || op == ReduceOp::Std) {
      reduce_into<Var<S>, S, S>(Var<S>(p.correction, op == ReduceOp::Std), in, dims, out);
    } else {
      static_assert(op == ReduceOp::LogSumExp, "a Floating row of SEEK_REDUCE_OPS without its reducer here");
      reduce_into<LogSumExp<S>, S, S>(LogSumExp<S>{}, in, dims, out);
    }
  } else {
    throw DTypeError(str(reduce_op_name(op), ": not supported for dtype ", in.dtype()));
  }
}

template <typename S>
void reduce_typed(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                  const ReduceParams& p, double n) {
  dispatch_reduce(op, [&](auto tag) { reduce_row<decltype(tag)::value, S>(in, dims, out, p, n); });
}

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
  for (const Tensor* t : ts) SEEK_CHECK(t->device().is_cpu(), op, ": the CPU backend got a tensor on ", t->device().str());
}

// The kernels write through `out`'s strides: make sure it has the keepdim shape.
void check_keepdim_out(const char* op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out) {
  Shape want = in.sizes();
  for (int64_t d : dims) {
    SEEK_CHECK_INDEX(d >= 0 && d < in.dim(), op, ": dim ", d, " out of range for a ", in.dim(), "-d input");
    want[d] = 1;
  }
  SEEK_CHECK_SHAPE(out.sizes() == want, op, ": output of shape ", shape_str(out.sizes()), " given, expected ",
                   shape_str(want));
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                        const ReduceParams& p) {
  check_cpu(reduce_op_name(op), {&in, &out});
  check_keepdim_out(reduce_op_name(op), in, dims, out);
  double n = 1;
  for (int64_t d : dims) n *= static_cast<double>(in.size(d));
  if (is_float_only(op)) {
    SEEK_DISPATCH_FLOATING(in.dtype(), reduce_op_name(op), [&] { reduce_typed<scalar_t>(op, in, dims, out, p, n); });
  } else {
    SEEK_DISPATCH_ALL(in.dtype(), reduce_op_name(op), [&] { reduce_typed<scalar_t>(op, in, dims, out, p, n); });
  }
}

void CpuBackend::arg_reduce(bool is_max, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  const char* name = is_max ? "argmax" : "argmin";
  check_cpu(name, {&in, &values, &indices});
  SEEK_CHECK_DTYPE(indices.dtype() == kInt64 && values.dtype() == in.dtype(), name,
                   ": expected values of the input dtype and int64 indices");
  const std::vector<int64_t> dims = in.dim() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{dim};
  check_keepdim_out(name, in, dims, values);
  check_keepdim_out(name, in, dims, indices);
  SEEK_CHECK_VALUE(in.dim() == 0 || in.size(dim) > 0, name, ": cannot reduce over a zero-size dimension ", dim);
  // Both outputs are written through one offset, so they need equal strides.
  if (values.strides() != indices.strides()) {
    Tensor v = empty(values.sizes(), TensorOptions(values.dtype())), i = empty(indices.sizes(), TensorOptions(kInt64));
    arg_reduce(is_max, in, dim, v, i);
    copy(v, values);
    copy(i, indices);
    return;
  }
  Geometry g = make_geometry(in, dims, values, false);
  int64_t* ip = static_cast<int64_t*>(indices.data_ptr());
  SEEK_DISPATCH_ALL(in.dtype(), name, [&] {
    using S = scalar_t;
    const S* x = static_cast<const S*>(in.data_ptr());
    S* vp = static_cast<S*>(values.data_ptr());
    auto store = [vp, ip](int64_t off, const auto& a) {
      vp[off] = convert<S>(a.value);
      ip[off] = a.index < 0 ? 0 : a.index;
    };
    if (is_max) run_reduction(ArgReduce<S, true>{}, g, x, store);
    else run_reduction(ArgReduce<S, false>{}, g, x, store);
  });
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
