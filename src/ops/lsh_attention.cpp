// LSH attention: argument checks, hashing and sorting composed from seek ops (so
// they run on every device), then Backend::lsh_attention_forward for the chunk
// attention, whose backward (Backend::lsh_attention_backward) recomputes the
// window scores. Buckets and orders carry no gradient; the shared-QK key
// normalisation is an ordinary differentiable op in front of the kernel, so the
// gradient of the keys flows back into the queries.
#include "seek/ops/lsh_attention.h"

#include <cmath>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/backend/backend.h"
#include "seek/core/generator.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "seek/ops/shape.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

constexpr const char* kFn = "lsh_attention";

void check_hash_options(int64_t n_buckets, int64_t n_hashes, const char* fn) {
  SEEK_CHECK_VALUE(n_buckets == 1 || (n_buckets >= 2 && n_buckets % 2 == 0), fn,
                   ": n_buckets must be 1 or an even number >= 2 (buckets are argmax over [xR, -xR]), got ", n_buckets);
  SEEK_CHECK_VALUE(n_hashes >= 1, fn, ": n_hashes must be >= 1, got ", n_hashes);
}

// Random rotations [n_hashes, D, n_buckets / 2], from Generator(seed) when a seed is given.
Tensor rotations(int64_t D, int64_t n_buckets, int64_t n_hashes, DType dtype, Device device,
                 std::optional<uint64_t> seed) {
  TensorOptions o = TensorOptions(dtype).device(device);
  if (seed) {
    Generator g(*seed, device);
    return randn({n_hashes, D, n_buckets / 2}, o, &g);
  }
  return randn({n_hashes, D, n_buckets / 2}, o);
}

// x [N, L, D], R [n_hashes, D, n_buckets / 2] -> buckets [N, n_hashes, L] int64.
Tensor buckets_of(const Tensor& x, const Tensor& R) {
  Tensor proj = x.unsqueeze(-3).matmul(R);
  return cat({proj, proj * -1.0}, -1).argmax(-1);
}

// Positions sorted by (bucket, position): the sort keys bucket * L + position are unique.
Tensor sorted_order(const Tensor& buckets, int64_t L) {
  Tensor pos = arange(L, TensorOptions(kInt64).device(buckets.device()));
  return (buckets * L + pos).argsort(-1);
}

// [N, L] bool (true = ignore), or undefined.
Tensor padding_rows(const Tensor& mask, const Tensor& query, int64_t N, int64_t L) {
  if (!mask.defined()) return Tensor();
  SEEK_CHECK_DTYPE(mask.dtype() == kBool, kFn, ": key_padding_mask must be bool (true = ignore), got ",
                   dtype_name(mask.dtype()));
  SEEK_CHECK_VALUE(mask.device() == query.device(), kFn, ": key_padding_mask is on ", mask.device().str(),
                   " but query is on ", query.device().str());
  Shape lead(query.sizes().begin(), query.sizes().end() - 1);  // [..., L]
  Tensor m = mask;
  if (query.dim() == 4 && m.dim() == 2 && m.size(0) == query.size(0) && m.size(1) == L)
    m = m.reshape({m.size(0), 1, L});  // MultiheadAttention's [B, L] over [B, H, L, D]
  const bool fits = m.dim() <= static_cast<int64_t>(lead.size()) && [&] {
    for (int64_t i = 1; i <= m.dim(); ++i)
      if (m.size(-i) != 1 && m.size(-i) != lead[lead.size() - i]) return false;
    return true;
  }();
  SEEK_CHECK_SHAPE(fits, kFn, ": key_padding_mask ", shape_str(mask.sizes()), " must be [B, L] for a [B, H, L, D] ",
                   "query or broadcast to the query's ", shape_str(lead), " (query ", shape_str(query.sizes()), ")");
  return m.expand(lead).contiguous().reshape({N, L});
}

}  // namespace

Tensor lsh_hash(const Tensor& x, int64_t n_buckets, int64_t n_hashes, std::optional<uint64_t> seed) {
  check_defined(x, "lsh_hash", "x");
  check_hash_options(n_buckets, n_hashes, "lsh_hash");
  SEEK_CHECK_SHAPE(x.dim() >= 2, "lsh_hash: x must be [..., L, D], got ", shape_str(x.sizes()));
  SEEK_CHECK_DTYPE(x.is_floating_point(), "lsh_hash: x must be floating, got ", dtype_name(x.dtype()));
  NoGradGuard ng;
  const int64_t L = x.size(-2), D = x.size(-1);
  Shape out_shape(x.sizes().begin(), x.sizes().end() - 2);
  out_shape.push_back(n_hashes), out_shape.push_back(L);
  const DType dt = x.dtype() == kFloat64 ? kFloat64 : kFloat32;
  if (n_buckets == 1) return zeros(out_shape, TensorOptions(kInt64).device(x.device()));
  Tensor x3 = x.to(dt).reshape({-1, L, D});
  return buckets_of(x3, rotations(D, n_buckets, n_hashes, dt, x.device(), seed)).reshape(out_shape);
}

Tensor lsh_attention(const Tensor& query, const Tensor& key, const Tensor& value, const LSHAttentionOptions& opt,
                     const Tensor& key_padding_mask) {
  check_defined(query, kFn, "query");
  check_defined(value, kFn, "value");
  if (opt.shared_qk) {
    SEEK_CHECK_VALUE(!key.defined() || key.is_same(query), kFn,
                     ": with shared_qk the keys are the normalised queries; pass an undefined key (or the query)");
  } else {
    check_defined(key, kFn, "key");
  }
  const Tensor k_in = opt.shared_qk ? query : key;
  check_same_device(kFn, {query, k_in, value});
  SEEK_CHECK_SHAPE(query.dim() >= 2, kFn, ": query must be [..., L, D], got ", shape_str(query.sizes()));
  SEEK_CHECK_SHAPE(k_in.sizes() == query.sizes(), kFn, ": key ", shape_str(k_in.sizes()),
                   " must have the query's shape ", shape_str(query.sizes()));
  const int64_t L = query.size(-2), D = query.size(-1);
  SEEK_CHECK_SHAPE(
      value.dim() == query.dim() && std::equal(query.sizes().begin(), query.sizes().end() - 1, value.sizes().begin()),
      kFn, ": value ", shape_str(value.sizes()), " must be [..., L, Dv] with the query's [..., L] (query ",
      shape_str(query.sizes()), ")");
  SEEK_CHECK_DTYPE(query.is_floating_point() && k_in.dtype() == query.dtype() && value.dtype() == query.dtype(), kFn,
                   ": query, key and value must share one floating dtype, got ", dtype_name(query.dtype()), ", ",
                   dtype_name(k_in.dtype()), ", ", dtype_name(value.dtype()));
  check_hash_options(opt.n_buckets, opt.n_hashes, kFn);
  SEEK_CHECK_VALUE(opt.chunk_size >= 1, kFn, ": chunk_size must be >= 1, got ", opt.chunk_size);
  SEEK_CHECK_VALUE(!opt.scale || std::isfinite(*opt.scale), kFn, ": scale must be finite");
  SEEK_CHECK_SHAPE(L >= 1 && D >= 1, kFn, ": query ", shape_str(query.sizes()), " needs L >= 1 and D >= 1");

  // f16/bf16 stay 16-bit where the device's backend takes them (the CUDA tensor-core kernels; the CPU computes
  // them in f32 inside), else compute in f32 (a differentiable cast, so gradients come back in the input's dtype).
  // Hashing is in f32 (f64 for f64 inputs) either way, and the log-sum-exp is kept in f32.
  const Device dev = query.device();
  const bool half = query.dtype() == kFloat16 || query.dtype() == kBFloat16;
  const DType dt = query.dtype() == kFloat64                                                ? kFloat64
                   : half && backend(dev).supports(BackendFamily::Attention, query.dtype()) ? query.dtype()
                                                                                            : kFloat32;
  const DType hash_dt = dt == kFloat64 ? kFloat64 : kFloat32;
  const int64_t Dv = value.size(-1), N = query.numel() / (L * D);
  Tensor q3 = query.to(dt).reshape({N, L, D}).contiguous();
  Tensor v3 = value.to(dt).reshape({N, L, Dv}).contiguous();
  Tensor k3 = opt.shared_qk ? q3 / q3.norm(2.0, {-1}, true).clamp_min(1e-12)  // unit-length keys
                            : k_in.to(dt).reshape({N, L, D}).contiguous();
  Tensor pad = padding_rows(key_padding_mask, query, N, L);

  Tensor q_order, k_order;
  {
    NoGradGuard ng;
    if (opt.n_buckets == 1) {  // one bucket: every round keeps the positions in order
      k_order = arange(L, TensorOptions(kInt64).device(dev)).expand({N, opt.n_hashes, L}).contiguous();
      q_order = k_order;
    } else {
      Tensor R = rotations(D, opt.n_buckets, opt.n_hashes, hash_dt, dev, opt.seed);
      k_order = sorted_order(buckets_of(k3.detach().to(hash_dt), R), L);
      q_order = opt.shared_qk ? k_order : sorted_order(buckets_of(q3.detach().to(hash_dt), R), L);
    }
  }

  LshAttentionParams p;
  p.chunk_size = opt.chunk_size, p.causal = opt.causal, p.self_mask = opt.shared_qk;
  p.scale = opt.scale ? *opt.scale : 1.0 / std::sqrt(static_cast<double>(D));
  Tensor out = alloc({N, L, Dv}, dt, dev), lse = alloc({N, L}, hash_dt, dev);
  {
    NoGradGuard ng;
    backend(dev).lsh_attention_forward(q3, k3, v3, q_order, k_order, pad, p, out, lse);
  }
  if (autograd::needs_grad({q3, k3, v3})) {
    autograd::record(
        "LshAttentionBackward", {q3, k3, v3}, {out},
        [p, sq = SavedTensor(q3), sk = SavedTensor(k3), sv = SavedTensor(v3), so = SavedTensor(out),
         sl = SavedTensor(lse), q_order, k_order, pad](const variable_list& g, const std::vector<bool>& need) {
          const Tensor &q = sq.get(), &k = sk.get(), &v = sv.get();
          Tensor gq = alloc(q.sizes(), q.dtype(), q.device());
          Tensor gk = alloc(k.sizes(), k.dtype(), k.device());
          Tensor gv = alloc(v.sizes(), v.dtype(), v.device());
          backend(q.device())
              .lsh_attention_backward(g[0].contiguous(), q, k, v, q_order, k_order, pad, so.get(), sl.get(), p, gq, gk,
                                      gv);
          return variable_list{need[0] ? gq : Tensor(), need[1] ? gk : Tensor(), need[2] ? gv : Tensor()};
        });
  }
  Shape out_shape(query.sizes().begin(), query.sizes().end() - 1);
  out_shape.push_back(Dv);
  return out.reshape(out_shape).to(query.dtype());
}

}  // namespace seek
