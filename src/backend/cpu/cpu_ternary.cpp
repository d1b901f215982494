// CPU ternary family (where, clamp, lerp, addcmul, addcdiv). Inputs arrive
// broadcast to the output shape, so an inner run of an input is either
// contiguous or a repeated value (stride 0: a scalar bound, a scalar weight,
// a broadcast mask); the 8 combinations are instantiated as separate loops
// so each one vectorises, with broadcast values loaded once per run.
#include "backend/family_checks.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

namespace {

template <bool CA, bool CB, bool CC, typename Out, typename TA, typename TB, typename TC, typename F>
void ternary_run(Out* o, const TA* a, const TB* b, const TC* c, int64_t n, const F& f) {
  using A = acc_t<TA>;
  using B = acc_t<TB>;
  using C = acc_t<TC>;
  const A a0 = convert<A>(a[0]);
  const B b0 = convert<B>(b[0]);
  const C c0 = convert<C>(c[0]);
  for (int64_t i = 0; i < n; ++i) {
    o[i] = convert<Out>(f(CA ? convert<A>(a[i]) : a0, CB ? convert<B>(b[i]) : b0, CC ? convert<C>(c[i]) : c0));
  }
}

// out[i] = f(a[i], b[i], c[i]) with storage types Out/TA/TB/TC and f taking acc types.
template <typename Out, typename TA, typename TB, typename TC, typename F>
void ternary_kernel(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out, F f) {
  for_each<4>({&out, &a, &b, &c}, [f](char** p, const int64_t* s, int64_t n) {
    auto kind = [](int64_t stride, int64_t size) { return stride == size ? 1 : stride == 0 ? 0 : -1; };
    const int ka = kind(s[1], sizeof(TA)), kb = kind(s[2], sizeof(TB)), kc = kind(s[3], sizeof(TC));
    if (s[0] == static_cast<int64_t>(sizeof(Out)) && ka >= 0 && kb >= 0 && kc >= 0) {
      Out* o = reinterpret_cast<Out*>(p[0]);
      const TA* x = reinterpret_cast<const TA*>(p[1]);
      const TB* y = reinterpret_cast<const TB*>(p[2]);
      const TC* z = reinterpret_cast<const TC*>(p[3]);
      switch (ka | (kb << 1) | (kc << 2)) {
        case 0: return ternary_run<false, false, false>(o, x, y, z, n, f);
        case 1: return ternary_run<true, false, false>(o, x, y, z, n, f);
        case 2: return ternary_run<false, true, false>(o, x, y, z, n, f);
        case 3: return ternary_run<true, true, false>(o, x, y, z, n, f);
        case 4: return ternary_run<false, false, true>(o, x, y, z, n, f);
        case 5: return ternary_run<true, false, true>(o, x, y, z, n, f);
        case 6: return ternary_run<false, true, true>(o, x, y, z, n, f);
        default: return ternary_run<true, true, true>(o, x, y, z, n, f);
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      *reinterpret_cast<Out*>(p[0] + i * s[0]) =
          convert<Out>(f(convert<acc_t<TA>>(*reinterpret_cast<const TA*>(p[1] + i * s[1])),
                         convert<acc_t<TB>>(*reinterpret_cast<const TB*>(p[2] + i * s[2])),
                         convert<acc_t<TC>>(*reinterpret_cast<const TC*>(p[3] + i * s[3]))));
    }
  });
}

template <TernaryOp op>
void run_ternary(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out, const TernaryParams& p) {
  functors::Ternary<op> f;
  if constexpr (op == TernaryOp::Addcmul || op == TernaryOp::Addcdiv) f.value = p.value;
  const char* name = ternary_op_name(op);
  if constexpr (op == TernaryOp::Where) {
    SEEK_DISPATCH_ALL(out.dtype(), name, [&] { ternary_kernel<scalar_t, bool, scalar_t, scalar_t>(a, b, c, out, f); });
  } else if constexpr (ternary_op_kind(op) == TernaryKind::Floating) {
    SEEK_DISPATCH_FLOATING(out.dtype(), name,
                           [&] { ternary_kernel<scalar_t, scalar_t, scalar_t, scalar_t>(a, b, c, out, f); });
  } else {
    SEEK_DISPATCH_NUMERIC(out.dtype(), name,
                          [&] { ternary_kernel<scalar_t, scalar_t, scalar_t, scalar_t>(a, b, c, out, f); });
  }
}

}  // namespace

void CpuBackend::ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out,
                         const TernaryParams& p) {
  const char* name = ternary_op_name(op);
  backend_detail::check_ternary_operands(op, a, b, c, out);
  dispatch_ternary(op, [&](auto tag) { run_ternary<decltype(tag)::value>(a, b, c, out, p); });
}

}  // namespace seek::cpu
