// CPU LSH attention (Reformer): the chunk attention over hash-sorted orders and
// its backward, one (batch, head) row per task.
//
// The trick that keeps memory linear: the window of a query (its chunk and the
// previous one in sorted order, 2 * chunk_size keys at most) is scored into a
// small buffer, reduced to that round's (max, sum, weighted value sum), and
// merged into the query's running state with log-sum-exp weights; the rounds
// are merged the same way, so every round's keys join ONE softmax per query.
// Only out [L, Dv] and lse [L] survive. The backward recomputes each window's
// scores from q, k and the saved lse (p = exp(s - lse)), as flash attention
// does, and scatters dk/dv into the row's own positions: rows are independent,
// so tasks never write the same memory.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"
#include "seek/core/error.h"

namespace seek::cpu {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

struct Dims {
  int64_t N, L, D, Dv, R;
};

Dims dims_of(const Tensor& q, const Tensor& v, const Tensor& q_order) {
  return {q.size(0), q.size(1), q.size(2), v.size(2), q_order.size(1)};
}

// Sorted positions [begin, end) of the keys in the window of chunk c: the chunk
// itself, then the previous chunk (cyclic) when there are two chunks or more.
struct Window {
  int64_t begin[2], end[2], parts;
};

Window window_of(int64_t c, int64_t L, int64_t cs) {
  const int64_t nc = (L + cs - 1) / cs;
  Window w{};
  w.begin[0] = c * cs, w.end[0] = std::min(L, (c + 1) * cs), w.parts = 1;
  if (nc > 1) {
    const int64_t p = (c + nc - 1) % nc;
    w.begin[1] = p * cs, w.end[1] = std::min(L, (p + 1) * cs), w.parts = 2;
  }
  return w;
}

// Runs fn(n) for every row, rows split across threads when the work is large enough.
template <typename F>
void for_rows(int64_t rows, int64_t work, F fn) {
  const int threads = omp_get_max_threads();
  if (rows <= 1 || work < kParallelGrain || threads <= 1 || omp_in_parallel()) {
    for (int64_t n = 0; n < rows; ++n) fn(n);
    return;
  }
#pragma omp parallel for num_threads(static_cast <int>(std::min <int64_t>(threads, rows))) schedule(dynamic, 1)
  for (int64_t n = 0; n < rows; ++n) fn(n);
}

template <typename T>
double dot(const T* a, const T* b, int64_t d) {
  double s = 0;
  for (int64_t i = 0; i < d; ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return s;
}

// The keys of query position i's window in one round, with their scores; masked keys are left out.
template <typename T>
struct WindowScores {
  std::vector<int64_t> key;
  std::vector<double> score;
  std::vector<char> is_self;

  explicit WindowScores(int64_t cs) { key.reserve(2 * cs), score.reserve(2 * cs), is_self.reserve(2 * cs); }
  // Returns the highest score (-inf when every key is masked).
  double fill(int64_t i, const Window& w, const int64_t* ko, const T* q, const T* k, const bool* pad, int64_t D,
              const LshAttentionParams& p) {
    key.clear(), score.clear(), is_self.clear();
    double mx = kNegInf;
    for (int64_t part = 0; part < w.parts; ++part)
      for (int64_t t = w.begin[part]; t < w.end[part]; ++t) {
        const int64_t j = ko[t];
        if ((p.causal && j > i) || (pad && pad[j])) continue;
        const bool self = p.self_mask && j == i;
        const double s = self ? LshAttentionParams::kSelfScore : p.scale * dot(q + i * D, k + j * D, D);
        key.push_back(j), score.push_back(s), is_self.push_back(self);
        mx = std::max(mx, s);
      }
    return mx;
  }
};

template <typename T>
void forward_rows(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order, const Tensor& k_order,
                  const Tensor& key_pad, const LshAttentionParams& p, const Tensor& out, const Tensor& lse) {
  const Dims d = dims_of(q, v, q_order);
  const T *qp = q.data_ptr<T>(), *kp = k.data_ptr<T>(), *vp = v.data_ptr<T>();
  const int64_t *qo = q_order.data_ptr<int64_t>(), *ko = k_order.data_ptr<int64_t>();
  const bool* pad = key_pad.defined() ? key_pad.data_ptr<bool>() : nullptr;
  T *op = out.data_ptr<T>(), *lp = lse.data_ptr<T>();
  const int64_t cs = p.chunk_size, nc = (d.L + cs - 1) / cs;
  for_rows(d.N, d.N * d.R * d.L * 2 * cs * (d.D + d.Dv), [&](int64_t n) {
    const T *qn = qp + n * d.L * d.D, *kn = kp + n * d.L * d.D, *vn = vp + n * d.L * d.Dv;
    const bool* padn = pad ? pad + n * d.L : nullptr;
    // Running state per query position: max m, sum l (double), and the value sum, kept in `out` itself
    // so that no row-sized scratch hides from the allocator's statistics.
    T* on = op + n * d.L * d.Dv;
    std::fill(on, on + d.L * d.Dv, T(0));
    std::vector<double> m(d.L, kNegInf), l(d.L, 0.0), o_r(d.Dv);
    WindowScores<T> ws(cs);
    for (int64_t r = 0; r < d.R; ++r) {
      const int64_t* qor = qo + (n * d.R + r) * d.L;
      const int64_t* kor = ko + (n * d.R + r) * d.L;
      for (int64_t c = 0; c < nc; ++c) {
        const Window w = window_of(c, d.L, cs);
        for (int64_t t = w.begin[0]; t < w.end[0]; ++t) {
          const int64_t i = qor[t];
          const double mr = ws.fill(i, w, kor, qn, kn, padn, d.D, p);
          if (mr == kNegInf) continue;
          // This round: l_r = sum exp(s - m_r), o_r = sum exp(s - m_r) v.
          double lr = 0;
          std::fill(o_r.begin(), o_r.end(), 0.0);
          for (size_t e = 0; e < ws.key.size(); ++e) {
            const double w_e = std::exp(ws.score[e] - mr);
            lr += w_e;
            const T* vj = vn + ws.key[e] * d.Dv;
            for (int64_t x = 0; x < d.Dv; ++x) o_r[x] += w_e * static_cast<double>(vj[x]);
          }
          // Log-sum-exp merge of the round into the running state.
          const double mn = std::max(m[i], mr), a = std::exp(m[i] - mn), b = std::exp(mr - mn);
          T* ai = on + i * d.Dv;
          for (int64_t x = 0; x < d.Dv; ++x) ai[x] = static_cast<T>(static_cast<double>(ai[x]) * a + o_r[x] * b);
          l[i] = l[i] * a + lr * b, m[i] = mn;
        }
      }
    }
    T* ln = lp + n * d.L;
    for (int64_t i = 0; i < d.L; ++i) {
      const bool none = l[i] == 0.0;
      const double inv = none ? 0.0 : 1.0 / l[i];
      for (int64_t x = 0; x < d.Dv; ++x) on[i * d.Dv + x] = static_cast<T>(static_cast<double>(on[i * d.Dv + x]) * inv);
      ln[i] = none ? static_cast<T>(kNegInf) : static_cast<T>(m[i] + std::log(l[i]));
    }
  });
}

template <typename T>
void backward_rows(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order,
                   const Tensor& k_order, const Tensor& key_pad, const Tensor& out, const Tensor& lse,
                   const LshAttentionParams& p, const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v) {
  const Dims d = dims_of(q, v, q_order);
  const T *qp = q.data_ptr<T>(), *kp = k.data_ptr<T>(), *vp = v.data_ptr<T>();
  const T *gp = grad_out.data_ptr<T>(), *op = out.data_ptr<T>(), *lp = lse.data_ptr<T>();
  const int64_t *qo = q_order.data_ptr<int64_t>(), *ko = k_order.data_ptr<int64_t>();
  const bool* pad = key_pad.defined() ? key_pad.data_ptr<bool>() : nullptr;
  T *gq = grad_q.data_ptr<T>(), *gk = grad_k.data_ptr<T>(), *gv = grad_v.data_ptr<T>();
  const int64_t cs = p.chunk_size, nc = (d.L + cs - 1) / cs;
  for_rows(d.N, d.N * d.R * d.L * 2 * cs * (2 * d.D + 2 * d.Dv), [&](int64_t n) {
    const T *qn = qp + n * d.L * d.D, *kn = kp + n * d.L * d.D, *vn = vp + n * d.L * d.Dv;
    const T *gn = gp + n * d.L * d.Dv, *on = op + n * d.L * d.Dv, *ln = lp + n * d.L;
    const bool* padn = pad ? pad + n * d.L : nullptr;
    // Gradients accumulate in the outputs themselves (no row-sized scratch beside delta).
    T *dq = gq + n * d.L * d.D, *dk = gk + n * d.L * d.D, *dv = gv + n * d.L * d.Dv;
    std::fill(dq, dq + d.L * d.D, T(0)), std::fill(dk, dk + d.L * d.D, T(0)), std::fill(dv, dv + d.L * d.Dv, T(0));
    std::vector<double> delta(d.L);
    for (int64_t i = 0; i < d.L; ++i) delta[i] = dot(gn + i * d.Dv, on + i * d.Dv, d.Dv);  // rowsum(dO * O)
    WindowScores<T> ws(cs);
    for (int64_t r = 0; r < d.R; ++r) {
      const int64_t* qor = qo + (n * d.R + r) * d.L;
      const int64_t* kor = ko + (n * d.R + r) * d.L;
      for (int64_t c = 0; c < nc; ++c) {
        const Window w = window_of(c, d.L, cs);
        for (int64_t t = w.begin[0]; t < w.end[0]; ++t) {
          const int64_t i = qor[t];
          const double lse_i = static_cast<double>(ln[i]);
          if (lse_i == kNegInf) continue;
          ws.fill(i, w, kor, qn, kn, padn, d.D, p);
          const T* gi = gn + i * d.Dv;
          for (size_t e = 0; e < ws.key.size(); ++e) {
            const int64_t j = ws.key[e];
            const double pr = std::exp(ws.score[e] - lse_i);
            const T* vj = vn + j * d.Dv;
            double dpr = 0;
            for (int64_t x = 0; x < d.Dv; ++x) {
              dv[j * d.Dv + x] += static_cast<T>(pr * static_cast<double>(gi[x]));
              dpr += static_cast<double>(gi[x]) * static_cast<double>(vj[x]);
            }
            if (ws.is_self[e]) continue;  // a constant score: no gradient to q or k
            const double ds = pr * (dpr - delta[i]) * p.scale;
            const T *qi = qn + i * d.D, *kj = kn + j * d.D;
            for (int64_t x = 0; x < d.D; ++x) {
              dq[i * d.D + x] += static_cast<T>(ds * static_cast<double>(kj[x]));
              dk[j * d.D + x] += static_cast<T>(ds * static_cast<double>(qi[x]));
            }
          }
        }
      }
    }
  });
}

void check_operands(const char* fn, std::initializer_list<Tensor> ts) {
  for (const Tensor& t : ts)
    if (t.defined()) SEEK_CHECK(t.is_contiguous(), fn, ": operands must be contiguous");
}

// f16/bf16 operands run through f32 copies (as the CPU softmax does); results are cast back.
Tensor as_f32(Backend& b, const Tensor& t) {
  Tensor f = empty(t.sizes(), TensorOptions(kFloat32));
  b.copy(t, f);
  return f;
}

}  // namespace

void CpuBackend::lsh_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order,
                                       const Tensor& k_order, const Tensor& key_pad, const LshAttentionParams& p,
                                       const Tensor& out, const Tensor& lse) {
  check_operands("lsh_attention", {q, k, v, q_order, k_order, key_pad, out, lse});
  if (q.dtype() == kFloat16 || q.dtype() == kBFloat16) {
    Tensor o32 = empty(out.sizes(), TensorOptions(kFloat32)), l32 = empty(lse.sizes(), TensorOptions(kFloat32));
    forward_rows<float>(as_f32(*this, q), as_f32(*this, k), as_f32(*this, v), q_order, k_order, key_pad, p, o32, l32);
    copy(o32, out), copy(l32, lse);
  } else if (q.dtype() == kFloat64)
    forward_rows<double>(q, k, v, q_order, k_order, key_pad, p, out, lse);
  else if (q.dtype() == kFloat32)
    forward_rows<float>(q, k, v, q_order, k_order, key_pad, p, out, lse);
  else
    unsupported("lsh_attention");
}

void CpuBackend::lsh_attention_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                                        const Tensor& q_order, const Tensor& k_order, const Tensor& key_pad,
                                        const Tensor& out, const Tensor& lse, const LshAttentionParams& p,
                                        const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v) {
  check_operands("lsh_attention_backward",
                 {grad_out, q, k, v, q_order, k_order, key_pad, out, lse, grad_q, grad_k, grad_v});
  if (q.dtype() == kFloat16 || q.dtype() == kBFloat16) {
    Tensor gq = empty(grad_q.sizes(), TensorOptions(kFloat32)), gk = empty(grad_k.sizes(), TensorOptions(kFloat32));
    Tensor gv = empty(grad_v.sizes(), TensorOptions(kFloat32));
    backward_rows<float>(as_f32(*this, grad_out), as_f32(*this, q), as_f32(*this, k), as_f32(*this, v), q_order,
                         k_order, key_pad, as_f32(*this, out), as_f32(*this, lse), p, gq, gk, gv);
    copy(gq, grad_q), copy(gk, grad_k), copy(gv, grad_v);
  } else if (q.dtype() == kFloat64)
    backward_rows<double>(grad_out, q, k, v, q_order, k_order, key_pad, out, lse, p, grad_q, grad_k, grad_v);
  else if (q.dtype() == kFloat32)
    backward_rows<float>(grad_out, q, k, v, q_order, k_order, key_pad, out, lse, p, grad_q, grad_k, grad_v);
  else
    unsupported("lsh_attention_backward");
}

}  // namespace seek::cpu
