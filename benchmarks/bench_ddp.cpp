// How much of DDP's gradient communication backward hides (run under mpirun -np 2, one thread per rank):
// ResNet-20 on [batch, 3, 32, 32] per rank; the median over iterations of
//   local    backward of the plain model (no communication),
//   serial   backward of the plain model, then the same buckets all-reduced one after the other (nothing
//            overlaps: what DDP would cost without hooks),
//   ddp      backward through DistributedDataParallel (buckets launched from the hooks while backward runs,
//            waited for at its end).
// hidden = serial - ddp is the communication time that overlapped with backward.
//   mpirun -np 2 build/benchmarks/bench_ddp [batch] [iterations] [bucket_cap_mb]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "seek/seek.h"
#include "seek/dist/ddp.h"
#include "seek/dist/process_group.h"

using namespace seek;
using Clock = std::chrono::steady_clock;

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
}  // namespace

int main(int argc, char** argv) {
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 32;
  const int iters = argc > 2 ? std::atoi(argv[2]) : 10;
  const double cap = argc > 3 ? std::atof(argv[3]) : 25.0;
  omp_set_num_threads(1);
  dist::init_process_group("mpi");
  const int rank = dist::get_rank(), world = dist::get_world_size();
  manual_seed(1);
  auto model = models::resnet20(10, 3);
  nn::DistributedDataParallelOptions o;
  o.bucket_cap_mb = cap;
  auto ddp = std::make_shared<nn::DistributedDataParallel>(model, o);
  const auto& buckets = ddp->reducer().bucket_indices();
  const std::vector<Tensor> params = model->parameters();
  manual_seed(2 + rank);
  Tensor x = randn({batch, 3, 32, 32});
  Tensor y = randint(0, 10, {batch});

  std::vector<double> local, serial, synced;
  for (int it = 0; it < iters + 2; ++it) {
    // local
    model->zero_grad();
    Tensor loss = nn::functional::cross_entropy(model->forward(x), y);
    auto t = Clock::now();
    loss.backward();
    const double t_local = ms_since(t);
    // serial: the same backward, then the buckets reduced after it
    model->zero_grad();
    loss = nn::functional::cross_entropy(model->forward(x), y);
    dist::barrier();
    t = Clock::now();
    loss.backward();
    {
      NoGradGuard g;
      for (const auto& b : buckets) {
        std::vector<Tensor> grads;
        for (size_t i : b) grads.push_back(params[i].grad().flatten());
        Tensor flat = cat(grads, 0);
        dist::all_reduce(flat, dist::ReduceOp::Avg);
        int64_t off = 0;
        for (size_t i : b) {
          Tensor gi = params[i].grad();
          gi.copy_(flat.narrow(0, off, gi.numel()).view(gi.sizes()));
          off += gi.numel();
        }
      }
    }
    const double t_serial = ms_since(t);
    // ddp
    ddp->zero_grad();
    loss = nn::functional::cross_entropy(ddp->forward(x), y);
    dist::barrier();
    t = Clock::now();
    loss.backward();
    const double t_ddp = ms_since(t);
    if (it >= 2) {
      local.push_back(t_local);
      serial.push_back(t_serial);
      synced.push_back(t_ddp);
    }
  }
  if (rank == 0) {
    const double l = median(local), s = median(serial), d = median(synced);
    std::printf("bench_ddp: resnet20, batch %lld per rank, %d ranks, 1 thread each, %zu buckets (cap %.3g MB)\n",
                static_cast<long long>(batch), world, buckets.size(), cap);
    std::printf("backward ms (median of %d): local %.1f | serial (backward, then all-reduce) %.1f | ddp %.1f\n",
                iters, l, s, d);
    std::printf("communication %.1f ms, hidden by overlap %.1f ms (%.0f%%)\n", s - l, s - d,
                s > l ? 100.0 * (s - d) / (s - l) : 0.0);
  }
  dist::destroy_process_group();
  return 0;
}
