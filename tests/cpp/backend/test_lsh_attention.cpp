// The lsh_attention family on every device: Backend::lsh_attention_forward and _backward
// over random sorted orders (arbitrary permutations per round, queries and keys apart or
// shared), chunk sizes that leave a ragged last chunk or a single chunk, causal and padding
// masks, the shared-QK self score, and a row whose keys are all padded, into
// sentinel-guarded outputs, against the CPU backend in f64. Small shapes: the simulated
// device runs one fiber per CUDA thread.
#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

struct Case {
  int64_t L, cs, R;
  bool shared, causal, pad;
};

class LshAttentionTest : public DeviceTest {
 protected:
  void run_cases(const std::vector<Case>& cases, int64_t D, int64_t Dv, uint64_t seed);
};

// [N, R, L] int64: an independent random permutation of 0..L-1 per (row, round).
Tensor random_orders(int64_t N, int64_t R, int64_t L, uint64_t seed) {
  Generator g(seed);
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < N * R; ++i) rows.push_back(randperm(L, TensorOptions(kInt64), &g));
  return stack(rows, 0).reshape({N, R, L});
}

void LshAttentionTest::run_cases(const std::vector<Case>& cases, int64_t D, int64_t Dv, uint64_t seed) {
  const int64_t N = 3;
  for (const Case& c : cases) {
    const std::string what = str("L=", c.L, " chunk=", c.cs, " rounds=", c.R, c.shared ? " shared" : " separate",
                                 c.causal ? " causal" : "", c.pad ? " padded" : "");
    const Tensor q = place(random_f64({N, c.L, D}, -1, 1, ++seed), dtype(), device());
    const Tensor k = c.shared ? q : place(random_f64({N, c.L, D}, -1, 1, ++seed), dtype(), device());
    const Tensor v = place(random_f64({N, c.L, Dv}, -1, 1, ++seed), dtype(), device());
    const Tensor qo_cpu = random_orders(N, c.R, c.L, ++seed);
    const Tensor ko_cpu = c.shared ? qo_cpu : random_orders(N, c.R, c.L, ++seed);
    Tensor pad_cpu;
    if (c.pad) {
      pad_cpu = zeros({N, c.L}, TensorOptions(kBool));
      pad_cpu.select(0, 0).narrow(0, 1, 2).fill_(true);
      pad_cpu.select(0, 2).fill_(true);  // row 2: every key padded -> zeros and lse -inf
    }
    const Tensor qo = qo_cpu.to(device()), ko = ko_cpu.to(device());
    const Tensor pad = c.pad ? pad_cpu.to(device()) : Tensor();
    LshAttentionParams p;
    p.chunk_size = c.cs, p.causal = c.causal, p.self_mask = c.shared, p.scale = 0.7;

    GuardedOutput out = guarded_empty({N, c.L, Dv}, dtype(), device());
    // lsh_attention keeps the log-sum-exp of 16-bit operands in f32 (f16 cannot hold the self score -1e5).
    const DType lse_dt = dtype() == kFloat16 || dtype() == kBFloat16 ? kFloat32 : dtype();
    GuardedOutput lse = guarded_empty({N, c.L}, lse_dt, device());
    dev().lsh_attention_forward(q, k, v, qo, ko, pad, p, out.out, lse.out);
    Tensor want_out = empty({N, c.L, Dv}, TensorOptions(kFloat64)), want_lse = empty({N, c.L}, TensorOptions(kFloat64));
    backend(kCPU).lsh_attention_forward(to_f64(q), to_f64(k), to_f64(v), qo_cpu, ko_cpu, pad_cpu, p, want_out,
                                        want_lse);
    expect_close(out.out, want_out, tolerance(dtype()), what + " out");
    expect_close(lse.out, want_lse, tolerance(lse_dt), what + " lse");
    expect_sentinels_intact(out, what + " out");
    expect_sentinels_intact(lse, what + " lse");

    const Tensor go = place(random_f64({N, c.L, Dv}, -1, 1, ++seed), dtype(), device());
    GuardedOutput gq = guarded_empty({N, c.L, D}, dtype(), device());
    GuardedOutput gk = guarded_empty({N, c.L, D}, dtype(), device());
    GuardedOutput gv = guarded_empty({N, c.L, Dv}, dtype(), device());
    dev().lsh_attention_backward(go, q, k, v, qo, ko, pad, out.out, lse.out, p, gq.out, gk.out, gv.out);
    Tensor wq = empty({N, c.L, D}, TensorOptions(kFloat64)), wk = empty({N, c.L, D}, TensorOptions(kFloat64));
    Tensor wv = empty({N, c.L, Dv}, TensorOptions(kFloat64));
    backend(kCPU).lsh_attention_backward(to_f64(go), to_f64(q), to_f64(k), to_f64(v), qo_cpu, ko_cpu, pad_cpu,
                                         to_f64(out.out), to_f64(lse.out), p, wq, wk, wv);
    expect_close(gq.out, wq, loose_tolerance(dtype()), what + " grad q", 1.0);
    expect_close(gk.out, wk, loose_tolerance(dtype()), what + " grad k", 1.0);
    expect_close(gv.out, wv, loose_tolerance(dtype()), what + " grad v", 1.0);
    expect_sentinels_intact(gq, what + " grad q");
    expect_sentinels_intact(gk, what + " grad k");
    expect_sentinels_intact(gv, what + " grad v");
  }
}

SEEK_DEVICE_TEST(LshAttentionTest, ForwardAndBackwardEntries) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Attention);
  run_cases({{13, 4, 2, false, false, false},
             {13, 4, 3, false, true, true},
             {17, 5, 2, true, false, true},
             {17, 5, 1, true, true, false},
             {9, 16, 2, false, false, true},
             {10, 5, 2, true, true, true}},
            4, 3, 300);
}

// Head dims that are multiples of 16 and chunks of 16 or more: the CUDA backend's tiled tensor-core
// kernels for f16/bf16 (kernels/lsh_attention_tiled.cu): several chunks, a ragged last chunk, a chunk
// longer than one 64-row tile (two query tiles, a window of three key tiles), a single chunk.
SEEK_DEVICE_TEST(LshAttentionTest, TiledShapes) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Attention);
  run_cases({{70, 16, 2, false, true, true}, {70, 16, 3, true, false, true}, {150, 70, 2, false, false, false}}, 32, 16,
            400);
  run_cases({{40, 64, 1, true, true, true}, {37, 16, 2, false, false, true}}, 16, 32, 500);
}

}  // namespace

SEEK_INSTANTIATE_ON_DEVICES(LshAttentionTest, kFloat64, kFloat32, kBFloat16, kFloat16);

}  // namespace seek::backend_test
