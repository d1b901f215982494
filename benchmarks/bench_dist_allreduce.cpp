// all_reduce bandwidth of seek's process group against the engine underneath called directly (the peer):
// MPI_Allreduce on MPI_COMM_WORLD for the mpi group. For each size (float32, 1 KiB .. --max-mib MiB, x4 steps) it
// reports the median time over rounds (each round the slowest rank's mean over its iterations), torch's
// nccl-tests bus bandwidth busbw = bytes * 2 (n - 1) / n / time (for n = 1: algbw = bytes / time), and
// seek / peer. Run it under the launcher:
//
//   mpirun -np 2 build/benchmarks/bench_dist_allreduce [--max-mib 256] [--backend mpi|nccl] [--device cpu|cuda]
//
// Rank 0 prints a markdown table (docs/performance.md). With --backend nccl the peer column is empty.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "seek/cuda.h"
#include "seek/dist/process_group.h"
#include "seek/ops/creation.h"

using namespace seek;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// The slowest rank's time: what a collective costs the job.
double slowest(double t) { return dist::all_reduce_value(t, dist::ReduceOp::Max); }

int iterations_for(size_t bytes) {
  const double target = 64.0 * 1024 * 1024;  // about 64 MiB through each rank per round
  return static_cast<int>(std::clamp(target / static_cast<double>(bytes), 2.0, 200.0));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string human(size_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20)) {
    std::snprintf(buf, sizeof buf, "%zu MiB", bytes >> 20);
  } else {
    std::snprintf(buf, sizeof buf, "%zu KiB", bytes >> 10);
  }
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  size_t max_mib = 256;
  int rounds = 5;
  std::string backend = "mpi", device = "cpu";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--max-mib" && i + 1 < argc) {
      max_mib = std::stoul(argv[++i]);
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::stoi(argv[++i]);
    } else if (a == "--backend" && i + 1 < argc) {
      backend = argv[++i];
    } else if (a == "--device" && i + 1 < argc) {
      device = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--max-mib N] [--rounds N] [--backend mpi|nccl] [--device cpu|cuda]\n",
                   argv[0]);
      return 2;
    }
  }
  dist::InitOptions options;
  options.backend = backend;
  options.timeout = std::chrono::minutes(5);
  dist::init_process_group(options);
  const int n = dist::get_world_size(), rank = dist::get_rank();
  const bool peer = backend == "mpi" && device == "cpu";
  const Device dev = device == "cuda" ? Device(kCUDA) : Device(kCPU);
  if (rank == 0) {
    std::printf("all_reduce (sum, float32), %d ranks, backend %s, %s tensors, median of %d rounds\n\n", n,
                backend.c_str(), device.c_str(), rounds);
    std::printf("| size | seek time (us) | seek busbw (GB/s) | MPI_Allreduce time (us) | MPI busbw (GB/s) | "
                "seek / MPI time |\n|---:|---:|---:|---:|---:|---:|\n");
  }
  const double factor = n > 1 ? 2.0 * (n - 1) / n : 1.0;
  for (size_t bytes = 1024; bytes <= max_mib * 1024 * 1024; bytes *= 4) {
    const int64_t count = static_cast<int64_t>(bytes / 4);
    Tensor t = ones({count}, TensorOptions(kFloat32).device(dev));
    const int iters = iterations_for(bytes);
    std::vector<double> seek_t, mpi_t;
    for (int w = 0; w < 2; ++w) dist::all_reduce(t);  // warm-up (and the MPI_Op / buffer set-up)
    for (int r = 0; r < rounds; ++r) {
      dist::barrier();
      auto t0 = clock_type::now();
      for (int i = 0; i < iters; ++i) dist::all_reduce(t);
      if (dev.is_cuda()) cuda::synchronize();
      seek_t.push_back(slowest(seconds_since(t0) / iters));
      if (peer) {
        // The same collective straight through MPI (seek's progress thread is idle between seek's collectives).
        std::vector<float> buf(static_cast<size_t>(count), 1.0f);
        if (r == 0) MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = clock_type::now();
        for (int i = 0; i < iters; ++i)
          MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        mpi_t.push_back(slowest(seconds_since(t0) / iters));
      }
    }
    if (rank == 0) {
      const double s = median(seek_t);
      const double sb = static_cast<double>(bytes) * factor / s / 1e9;
      if (peer) {
        const double m = median(mpi_t);
        std::printf("| %s | %.1f | %.2f | %.1f | %.2f | %.2f |\n", human(bytes).c_str(), s * 1e6, sb, m * 1e6,
                    static_cast<double>(bytes) * factor / m / 1e9, s / m);
      } else {
        std::printf("| %s | %.1f | %.2f | | | |\n", human(bytes).c_str(), s * 1e6, sb);
      }
      std::fflush(stdout);
    }
  }
  dist::destroy_process_group();
  return 0;
}
