// The CPU reduction engine behind CpuBackend::reduce / arg_reduce / cumsum (cpu_reduce.cpp
// calls it through cpu_reduce_engine.h), driven by the reducers of seek/backend/reduce_op.h.
//
// Loop shape. The input's dims are sorted by stride (innermost first), split
// into kept and reduced dims, and adjacent dims merged where their strides
// allow. Then one of two loops runs:
//  - inner: the innermost dim is reduced. Each output folds runs along it; a
//    contiguous run uses several independent accumulators, which the compiler
//    turns into SIMD lanes (f32 sums accumulate in double).
//  - outer: the innermost dim is kept. A tile of up to W adjacent outputs folds
//    whole input rows element-wise (acc[w] = step(acc[w], row[w])), so memory is
//    read row by row, contiguously, never strided across. Narrow rows that lie
//    back to back (e.g. [N, 4] over dim 0) are folded as one long run with
//    lanes whose count is a multiple of the row width.
// var, logsumexp and arg-reductions get loop forms of their own that vectorise
// (structure-of-arrays state, two-pass max-then-exp, max-then-find-index).
// Threads split outputs (inner) or tiles (outer); with fewer of those than
// threads, they split the reduced range and partial states are combined in
// order, so results never depend on timing.
#include "backend/cpu/cpu_eigen.h"  // first: its pragmas silence GCC 12's AVX-512 false positives
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "backend/cpu/cpu_reduce_engine.h"
#include "seek/backend/reduce_op.h"
#include "seek/core/shape_util.h"

namespace seek::cpu::reduce_engine {

using namespace seek::reducers;

// ---------------------------------------------------------------- geometry

namespace {
// a * b for sizes and strides, saturating instead of overflowing: only zero-size tensors can have
// dims whose product overflows, and there a saturated product still becomes 0 with the zero dim.
int64_t mul_saturating(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
  return r;
}
// Whether x * y == z, without overflowing.
bool product_equals(int64_t x, int64_t y, int64_t z) {
  int64_t r;
  return !__builtin_mul_overflow(x, y, &r) && r == z;
}
}  // namespace

// `out` has the keepdim shape (reduce) or in's shape (scan, where rout is used).
Geometry make_geometry(const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out, bool scan) {
  struct D {
    int64_t size, is, os;
    bool red;
    int64_t idx;
  };
  Geometry g;
  std::vector<D> ds;
  for (int64_t d = 0; d < in.dim(); ++d) {
    const bool red = std::find(dims.begin(), dims.end(), d) != dims.end();
    const int64_t s = in.size(d);
    int64_t& count = red ? g.N : g.M;
    count = mul_saturating(count, s);
    if (s == 1) continue;
    ds.push_back({s, in.stride(d), (red && !scan) ? 0 : out.stride(d), red, d});
  }
  std::sort(ds.begin(), ds.end(), [](const D& a, const D& b) { return a.is != b.is ? a.is < b.is : a.idx > b.idx; });
  for (const D& d : ds) {
    auto& size = d.red ? g.rsize : g.ksize;
    auto& sin = d.red ? g.rin : g.kin;
    auto& sout = d.red ? g.rout : g.kout;
    if (!size.empty() && product_equals(sin.back(), size.back(), d.is) &&
        product_equals(sout.back(), size.back(), d.os)) {
      size.back() = mul_saturating(size.back(), d.size);
    } else {
      size.push_back(d.size), sin.push_back(d.is), sout.push_back(d.os);
    }
  }
  g.inner = !g.rsize.empty() && (g.ksize.empty() || g.rin[0] < g.kin[0]);
  if (g.N == 0) {  // every output is the identity: fold an empty run
    g.rsize = {0}, g.rin = {0}, g.rout = {0};
    g.inner = true;
  }
  if (g.ksize.empty()) g.ksize = {1}, g.kin = {0}, g.kout = {0};
  if (g.rsize.empty()) g.rsize = {1}, g.rin = {0}, g.rout = {0};
  return g;
}

// How many parts to split each reduced range into when there are few output units.
inline int64_t split_parts(int64_t units, int64_t N, int64_t work) {
  const int threads = omp_get_max_threads();
  if (units >= threads || N <= 1 || work < kParallelGrain || threads <= 1 || omp_in_parallel()) return 1;
  return std::min<int64_t>({(threads + units - 1) / units, N, std::max<int64_t>(1, work / kParallelGrain)});
}

// ---------------------------------------------------------------- reducer traits

constexpr int64_t kBlock = 1024;  // f16/bf16 elements converted to float at a time; also the widest tile

template <typename S>
void to_float(const S* p, float* out, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  if constexpr (std::is_same_v<S, Half>) {
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
  }
#endif
  if constexpr (std::is_same_v<S, BFloat16>) {
    for (; i < n; ++i) out[i] = detail::bf16_bits_to_float(p[i].bits);
  }
  for (; i < n; ++i) out[i] = static_cast<float>(p[i]);
}

template <typename R>
constexpr bool indexed_v = requires(const R& r, typename R::acc_t a, typename R::in_t x) {
  r.step(a, x, int64_t{});
};
template <typename R>
struct is_var : std::false_type {};
template <typename S>
struct is_var<Var<S>> : std::true_type {};
template <typename R>
struct is_lse : std::false_type {};
template <typename S>
struct is_lse<LogSumExp<S>> : std::true_type {};
template <typename R>
struct arg_traits : std::false_type {};
template <typename S, bool IsMax>
struct arg_traits<ArgReduce<S, IsMax>> : std::true_type {
  using value_reducer = std::conditional_t<IsMax, Max<S>, Min<S>>;
  // ArgReduce::better without branches (NaN wins), so that tile loops vectorise.
  template <typename X>
  static bool better(X x, X v) {
    if constexpr (std::is_floating_point_v<X>)
      return (v == v) & ((x != x) | (IsMax ? x > v : x < v));
    else
      return IsMax ? x > v : x < v;
  }
};
// Reducers whose state is one number, folded by the generic lane loops.
template <typename R>
constexpr bool scalar_state_v = !indexed_v<R> && !is_var<R>::value && !is_lse<R>::value;

// Tile width for the outer loop: the widest that keeps the per-tile state small.
template <typename R>
constexpr int64_t tile_width() {
  return sizeof(typename R::acc_t) <= 8 ? kBlock : 256;
}

// ---------------------------------------------------------------- contiguous runs (inner loop)

// Folds n contiguous elements (T never f16/bf16 here) into a fresh state.
template <typename R, typename T>
typename R::acc_t fold_contig(const R& r, const T* p, int64_t n) {
  using A = typename R::acc_t;
  using X = typename R::in_t;
  if constexpr (is_var<R>::value || is_lse<R>::value) {
    // Both take two passes over the data: do them block by block while the block is in L1.
    constexpr int64_t kPassBlock = 4096;
    if (n > kPassBlock) {
      A a = r.identity();
      for (int64_t i = 0; i < n; i += kPassBlock) a = r.combine(a, fold_contig(r, p + i, std::min(kPassBlock, n - i)));
      return a;
    }
  }
  if constexpr (is_var<R>::value) {
    // Two passes over the run (mean, then squared deviations): exact, and they vectorise.
    if (n == 0) return r.identity();
    X s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += static_cast<X>(p[i]);
    const X mean = s / static_cast<X>(n);
    X m2 = 0;
#pragma omp simd reduction(+ : m2)
    for (int64_t i = 0; i < n; ++i) m2 += (static_cast<X>(p[i]) - mean) * (static_cast<X>(p[i]) - mean);
    return A{mean, m2, static_cast<X>(n)};
  } else if constexpr (is_lse<R>::value) {
    // The max, then a vectorised sum of exp(x - max); non-finite maxima take the exact scalar path.
    const X m = fold_contig(Max<T>{}, p, n);
    if (!std::isfinite(m)) {
      A a = r.identity();
      for (int64_t i = 0; i < n; ++i) a = r.step(a, static_cast<X>(p[i]));
      return a;
    }
    using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
    return A{m, static_cast<X>((Eigen::Map<const Arr>(p, n) - m).exp().sum())};
  } else {
    constexpr int K = std::max<int>(1, std::min<int>(32, 128 / static_cast<int>(sizeof(A))));
    A a = r.identity();
    int64_t i = 0;
    if (n >= K) {
      alignas(64) A acc[K];
      for (int k = 0; k < K; ++k) acc[k] = r.identity();
      for (; i + K <= n; i += K)
#pragma omp simd  // GCC leaves the double-typed lanes scalar without it
        for (int k = 0; k < K; ++k) acc[k] = r.step(acc[k], static_cast<X>(p[i + k]));
      for (int w = K / 2; w >= 1; w /= 2)
        for (int k = 0; k < w; ++k) acc[k] = r.combine(acc[k], acc[k + w]);
      a = acc[0];
    }
    for (; i < n; ++i) a = r.step(a, static_cast<X>(p[i]));
    return a;
  }
}

// Folds a run of n elements at p with stride st (elements) into a; `pos` is the
// run's first index along the reduced dim (used by arg reducers).
template <typename R, typename S>
typename R::acc_t fold_run(const R& r, typename R::acc_t a, const S* p, int64_t n, int64_t st, int64_t pos) {
  using X = typename R::in_t;
  if constexpr (indexed_v<R>) {
    if (st == 1 && n > 0 && !is_reduced_float_v<S>) {
      // The extreme value (vectorised), then the first index holding it.
      const X m = fold_contig(typename arg_traits<R>::value_reducer{}, p, n);
      int64_t i = 0;
      if (is_nan(m)) {
        while (!is_nan(static_cast<X>(p[i]))) ++i;
      } else {
        while (static_cast<X>(p[i]) != m) ++i;
      }
      return r.combine(a, {m, pos + i});
    }
    for (int64_t i = 0; i < n; ++i) a = r.step(a, convert<X>(p[i * st]), pos + i);
    return a;
  } else {
    if (st != 1) {
      for (int64_t i = 0; i < n; ++i) a = r.step(a, convert<X>(p[i * st]));
      return a;
    }
    if constexpr (is_reduced_float_v<S>) {
      alignas(64) float buf[kBlock];
      for (int64_t i = 0; i < n; i += kBlock) {
        const int64_t len = std::min(kBlock, n - i);
        to_float(p + i, buf, len);
        a = r.combine(a, fold_contig(r, buf, len));
      }
      return a;
    } else {
      return r.combine(a, fold_contig(r, p, n));
    }
  }
}

// Folds reduced linear range [b, e) for the output whose input base is `base`.
template <typename R, typename S>
typename R::acc_t fold_inner(const R& r, const Geometry& g, const S* base, int64_t b, int64_t e) {
  const int64_t n0 = g.rsize[0];
  if (g.rsize.size() == 1) return fold_run(r, r.identity(), base + b * g.rin[0], e - b, g.rin[0], b);
  typename R::acc_t a = r.identity();
  Odometer od(g.rsize, g.rin, g.rout, 1, b / n0);
  int64_t i0 = b % n0;
  for (int64_t pos = b; pos < e;) {
    const int64_t len = std::min(n0 - i0, e - pos);
    a = fold_run(r, a, base + od.in_off + i0 * g.rin[0], len, g.rin[0], i0);
    pos += len;
    i0 = 0;
    od.next();
  }
  return a;
}

// ---------------------------------------------------------------- rows (outer loop)

// Calls fn(row_pointer, reduced_index) for every reduced position in [b, e).
template <typename S, typename F>
void for_rows(const Geometry& g, const S* base, int64_t b, int64_t e, F fn) {
  Odometer od(g.rsize, g.rin, g.rout, 0, b);
  for (int64_t pos = b; pos < e; ++pos, od.next()) fn(base + od.in_off, pos);
}

// Element j of a row as X, through a float buffer for f16/bf16 contiguous rows.
template <typename X, typename S, typename F>
void with_row(const S* row, int64_t w, int64_t ks, F fn) {
  if constexpr (is_reduced_float_v<S>) {
    if (ks == 1) {
      alignas(64) float buf[kBlock];
      to_float(row, buf, w);
      fn([&](int64_t j) { return buf[j]; });
      return;
    }
    fn([&](int64_t j) { return convert<X>(row[j * ks]); });
  } else {
    if (ks == 1)
      fn([&](int64_t j) { return static_cast<X>(row[j]); });
    else
      fn([&](int64_t j) { return static_cast<X>(row[j * ks]); });
  }
}

// Folds reduced linear range [b, e) into acc[0..w) for a tile of w outputs whose
// first input element is `base` (tile elements kin[0] apart).
template <typename R, typename S>
void fold_tile(const R& r, const Geometry& g, const S* base, int64_t w, int64_t b, int64_t e, typename R::acc_t* acc) {
  using X = typename R::in_t;
  const int64_t ks = g.kin[0];
  if constexpr (is_var<R>::value) {
    // Per block of rows small enough to stay in cache: column means, then
    // squared deviations (two exact, vectorised passes), merged with Chan's formula.
    const int64_t rows_per_block = std::max<int64_t>(1, (int64_t(256) << 10) / (w * int64_t(sizeof(S))));
    if (e - b > rows_per_block) {
      for (int64_t bb = b; bb < e; bb += rows_per_block)
        fold_tile(r, g, base, w, bb, std::min(e, bb + rows_per_block), acc);
      return;
    }
    constexpr int64_t TW = tile_width<R>();
    alignas(64) X mean[TW], m2[TW];
    for (int64_t j = 0; j < w; ++j) mean[j] = 0, m2[j] = 0;
    for_rows(g, base, b, e, [&, w](const S* row, int64_t) {
      with_row<X>(row, w, ks, [&, w](auto x) {
        for (int64_t j = 0; j < w; ++j) mean[j] += x(j);
      });
    });
    const X cnt = static_cast<X>(e - b);
    for (int64_t j = 0; j < w; ++j) mean[j] /= cnt;
    for_rows(g, base, b, e, [&, w](const S* row, int64_t) {
      with_row<X>(row, w, ks, [&, w](auto x) {
        for (int64_t j = 0; j < w; ++j) m2[j] += (x(j) - mean[j]) * (x(j) - mean[j]);
      });
    });
    for (int64_t j = 0; j < w; ++j) acc[j] = r.combine(acc[j], {mean[j], m2[j], cnt});
  } else if constexpr (is_lse<R>::value) {
    // Column maxima, then sums of exp(x - max) per column, over blocks of rows
    // small enough to stay in cache between the two passes.
    const int64_t rows_per_block = std::max<int64_t>(1, (int64_t(256) << 10) / (w * int64_t(sizeof(S))));
    if (e - b > rows_per_block) {
      for (int64_t bb = b; bb < e; bb += rows_per_block)
        fold_tile(r, g, base, w, bb, std::min(e, bb + rows_per_block), acc);
      return;
    }
    constexpr int64_t TW = tile_width<R>();
    alignas(64) X m[TW], s[TW];
    for (int64_t j = 0; j < w; ++j) m[j] = lowest<X>(), s[j] = 0;
    Max<S> mx;
    for_rows(g, base, b, e, [&, w](const S* row, int64_t) {
      with_row<X>(row, w, ks, [&, w](auto x) {
        for (int64_t j = 0; j < w; ++j) m[j] = mx.step(m[j], x(j));
      });
    });
    bool finite = true;
    for (int64_t j = 0; j < w; ++j) finite = finite && std::isfinite(m[j]);
    if (!finite) {  // rare: +-inf or NaN columns take the exact online form
      for_rows(g, base, b, e, [&, w](const S* row, int64_t) {
        with_row<X>(row, w, ks, [&, w](auto x) {
          for (int64_t j = 0; j < w; ++j) acc[j] = r.step(acc[j], x(j));
        });
      });
      return;
    }
    using Arr = Eigen::Array<X, Eigen::Dynamic, 1>;
    Eigen::Map<Arr> mv(m, w), sv(s, w);
    alignas(64) X tmp[TW];
    for_rows(g, base, b, e, [&, w](const S* row, int64_t) {
      with_row<X>(row, w, ks, [&, w](auto x) {
        for (int64_t j = 0; j < w; ++j) tmp[j] = x(j);
      });
      sv += (Eigen::Map<const Arr>(tmp, w) - mv).exp();
    });
    for (int64_t j = 0; j < w; ++j) acc[j] = r.combine(acc[j], {m[j], s[j]});
    return;
  } else if constexpr (indexed_v<R>) {
    // Structure-of-arrays (value, index) with blend-style updates. A column still
    // at the identity keeps index -1, which the store turns into 0 (the first index).
    constexpr int64_t TW = tile_width<R>();
    alignas(64) X v[TW];
    alignas(64) int64_t ix[TW];
    for (int64_t j = 0; j < w; ++j) v[j] = acc[j].value, ix[j] = acc[j].index;
    for_rows(g, base, b, e, [&, w](const S* row, int64_t pos) {
      with_row<X>(row, w, ks, [&, w](auto x) {
        for (int64_t j = 0; j < w; ++j) {
          const bool take = arg_traits<R>::better(x(j), v[j]);
          v[j] = take ? x(j) : v[j];
          ix[j] = take ? pos : ix[j];
        }
      });
    });
    for (int64_t j = 0; j < w; ++j) acc[j] = {v[j], ix[j]};
  } else {
    if (ks == 1 && w == g.ksize[0] && w <= 32 && g.rsize.size() == 1 && g.rin[0] == w && !is_reduced_float_v<S>) {
      // Narrow rows back to back: one long run with P lanes, P a multiple of w.
      using A = typename R::acc_t;
      const int64_t P = w * (64 / w), n = (e - b) * w;
      const S* p = base + b * w;
      alignas(64) A lanes[64];
      for (int64_t l = 0; l < P; ++l) lanes[l] = r.identity();
      int64_t i = 0;
      for (; i + P <= n; i += P)
#pragma omp simd
        for (int64_t l = 0; l < P; ++l) lanes[l] = r.step(lanes[l], static_cast<X>(p[i + l]));
      for (int64_t l = 0; i + l < n; ++l) lanes[l] = r.step(lanes[l], static_cast<X>(p[i + l]));
      for (int64_t l = 0; l < P; ++l) acc[l % w] = r.combine(acc[l % w], lanes[l]);
      return;
    }
    for_rows(g, base, b, e, [&, w](const S* row, int64_t) {
      with_row<X>(row, w, ks, [&, w](auto x) {
#pragma omp simd
        for (int64_t j = 0; j < w; ++j) acc[j] = r.step(acc[j], x(j));
      });
    });
  }
}

// ---------------------------------------------------------------- driver

// Runs reducer r over `in`; store(out_offset, acc) writes one result.
template <typename R, typename S, typename Store>
void run_reduction(const R& r, const Geometry& g, const S* in, Store store) {
  using A = typename R::acc_t;
  if (g.M == 0) return;
  const int64_t work = g.M * std::max<int64_t>(g.N, 1);
  if (g.inner) {
    const int64_t parts = split_parts(g.M, g.N, work);
    if constexpr (scalar_state_v<R> && !is_reduced_float_v<S>) {
      if (parts == 1 && g.rsize.size() == 1 && g.rin[0] == 1 && g.rsize[0] <= 16) {
        // Many short contiguous runs: a plain loop per output, no per-run setup.
        const int64_t n0 = g.rsize[0];
        parallel_range(g.M, work, [&](int64_t b, int64_t e) {
          Odometer od(g.ksize, g.kin, g.kout, 0, b);
          for (int64_t m = b; m < e; ++m, od.next()) {
            const S* p = in + od.in_off;
            A a = r.identity();
            for (int64_t i = 0; i < n0; ++i) a = r.step(a, static_cast<typename R::in_t>(p[i]));
            store(od.out_off, a);
          }
        });
        return;
      }
    }
    if (parts == 1) {
      parallel_range(g.M, work, [&](int64_t b, int64_t e) {
        Odometer od(g.ksize, g.kin, g.kout, 0, b);
        for (int64_t m = b; m < e; ++m, od.next()) store(od.out_off, fold_inner(r, g, in + od.in_off, 0, g.N));
      });
      return;
    }
    std::unique_ptr<A[]> partial(new A[g.M * parts]);  // not a vector: A may be bool
    parallel_range(g.M * parts, work, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t m = u / parts, k = u % parts;
        Odometer od(g.ksize, g.kin, g.kout, 0, m);
        partial[u] = fold_inner(r, g, in + od.in_off, g.N * k / parts, g.N * (k + 1) / parts);
      }
    });
    Odometer od(g.ksize, g.kin, g.kout, 0, 0);
    for (int64_t m = 0; m < g.M; ++m, od.next()) {
      A a = partial[m * parts];
      for (int64_t k = 1; k < parts; ++k) a = r.combine(a, partial[m * parts + k]);
      store(od.out_off, a);
    }
    return;
  }
  // outer: tiles of W adjacent outputs along the innermost kept dim.
  constexpr int64_t W = tile_width<R>();
  const int64_t k0 = g.ksize[0], nblk = (k0 + W - 1) / W, tiles = nblk * (g.M / k0);
  auto tile_base = [&](int64_t t, int64_t& in_off, int64_t& out_off, int64_t& w) {
    Odometer od(g.ksize, g.kin, g.kout, 1, t / nblk);
    const int64_t j0 = (t % nblk) * W;
    w = std::min(W, k0 - j0);
    in_off = od.in_off + j0 * g.kin[0];
    out_off = od.out_off + j0 * g.kout[0];
  };
  const int64_t parts = split_parts(tiles, g.N, work);
  std::unique_ptr<A[]> partial(
      new A[(parts == 1 ? std::min<int64_t>(tiles, omp_get_max_threads()) : tiles * parts) * W]);
  if (parts == 1) {
    parallel_range(tiles, work, [&](int64_t b, int64_t e) {
      A* acc = partial.get() + W * (omp_in_parallel() ? omp_get_thread_num() : 0);
      for (int64_t t = b; t < e; ++t) {
        int64_t in_off, out_off, w;
        tile_base(t, in_off, out_off, w);
        for (int64_t j = 0; j < w; ++j) acc[j] = r.identity();
        fold_tile(r, g, in + in_off, w, 0, g.N, acc);
        for (int64_t j = 0; j < w; ++j) store(out_off + j * g.kout[0], acc[j]);
      }
    });
    return;
  }
  parallel_range(tiles * parts, work, [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      const int64_t t = u / parts, k = u % parts;
      int64_t in_off, out_off, w;
      tile_base(t, in_off, out_off, w);
      A* acc = partial.get() + u * W;
      for (int64_t j = 0; j < w; ++j) acc[j] = r.identity();
      fold_tile(r, g, in + in_off, w, g.N * k / parts, g.N * (k + 1) / parts, acc);
    }
  });
  for (int64_t t = 0; t < tiles; ++t) {
    int64_t in_off, out_off, w;
    tile_base(t, in_off, out_off, w);
    for (int64_t j = 0; j < w; ++j) {
      A a = partial[(t * parts) * W + j];
      for (int64_t k = 1; k < parts; ++k) a = r.combine(a, partial[(t * parts + k) * W + j]);
      store(out_off + j * g.kout[0], a);
    }
  }
}

// ---------------------------------------------------------------- reducer choice per op and dtype

namespace {

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
      if (std::isinf(p.p))
        reduce_into<MaxAbs<S>, S, S>(MaxAbs<S>{}, in, dims, out);
      else if (p.p == 1.0)
        reduce_into<SumAbs<S>, S, S>(SumAbs<S>{}, in, dims, out);
      else if (p.p == 2.0)
        reduce_into<SumSquares<S>, S, S>(SumSquares<S>(true), in, dims, out);
      else
        reduce_into<SumAbsPow<S>, S, S>(SumAbsPow<S>(p.p, true), in, dims, out);
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

}  // namespace

// ---------------------------------------------------------------- entry points (cpu_reduce_engine.h)

void run_reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                const ReduceParams& p, double n) {
  if (is_float_only(op)) {
    SEEK_DISPATCH_FLOATING(in.dtype(), reduce_op_name(op), [&] { reduce_typed<scalar_t>(op, in, dims, out, p, n); });
  } else {
    SEEK_DISPATCH_ALL(in.dtype(), reduce_op_name(op), [&] { reduce_typed<scalar_t>(op, in, dims, out, p, n); });
  }
}

void run_arg_reduce(bool is_max, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& values,
                    const Tensor& indices) {
  const char* name = is_max ? "argmax" : "argmin";
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
    if (is_max)
      run_reduction(ArgReduce<S, true>{}, g, x, store);
    else
      run_reduction(ArgReduce<S, false>{}, g, x, store);
  });
}

}  // namespace seek::cpu::reduce_engine
