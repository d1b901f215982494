#pragma once
// How kernels/reduce.cu lays a reduction (or a scan) out on the GPU, host-side and
// testable without a GPU: the geometry (the input's dims sorted by stride and merged,
// split into kept dims, one position per output, and reduced dims) and the launch plan
// (inner or outer block layout, threads per run and outputs per block, and how many
// blocks split each run, whose partial states a second kernel combines).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/common.cuh"

namespace seek::cuda {

// The smallest power of two >= n (1 for n <= 1), capped at `cap` (a power of two).
inline unsigned pow2_at_least(int64_t n, unsigned cap) {
  unsigned p = 1;
  while (p < cap && static_cast<int64_t>(p) < n) p *= 2;
  return p;
}

// Kept dims (one position per output) and reduced dims, innermost first, strides in elements.
struct ReduceGeometry {
  int kd = 0, rd = 0;
  int64_t M = 1, N = 1;  // outputs; elements folded into each
  Array<int64_t, kMaxDims> ksize{}, kin{}, kout{}, rsize{}, rin{}, rout{};

  // Input and output offsets of output m.
  SEEK_HOST_DEVICE void kept_offsets(int64_t m, int64_t& in_off, int64_t& out_off) const {
    in_off = 0, out_off = 0;
    for (int d = 0; d < kd; ++d) {
      const int64_t i = m % ksize[d];
      m /= ksize[d];
      in_off += i * kin[d], out_off += i * kout[d];
    }
  }
  // Input offset of reduced position r (from the output's base).
  SEEK_HOST_DEVICE int64_t reduced_offset(int64_t r) const {
    if (rd == 1) return r * rin[0];
    int64_t off = 0;
    for (int d = 0; d < rd; ++d) {
      off += (r % rsize[d]) * rin[d];
      r /= rsize[d];
    }
    return off;
  }
  // Output offset of reduced position r (scans write every position).
  SEEK_HOST_DEVICE int64_t reduced_out_offset(int64_t r) const {
    if (rd == 1) return r * rout[0];
    int64_t off = 0;
    for (int d = 0; d < rd; ++d) {
      off += (r % rsize[d]) * rout[d];
      r /= rsize[d];
    }
    return off;
  }
  // The innermost dim in memory is a reduced (scanned) one.
  bool inner() const { return kd == 0 || (rd > 0 && rin[0] < kin[0]); }
};

// `out` has the keepdim shape (reduce) or in's shape (scan, which also needs rout).
inline ReduceGeometry make_reduce_geometry(const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                                           bool scan, const char* op) {
  struct D {
    int64_t size, is, os;
    bool red;
    int64_t idx;
  };
  ReduceGeometry g;
  std::vector<D> ds;
  for (int64_t d = 0; d < in.dim(); ++d) {
    const bool red = std::find(dims.begin(), dims.end(), d) != dims.end();
    (red ? g.N : g.M) *= in.size(d);
    if (in.size(d) != 1) ds.push_back({in.size(d), in.stride(d), (red && !scan) ? 0 : out.stride(d), red, d});
  }
  std::sort(ds.begin(), ds.end(), [](const D& a, const D& b) { return a.is != b.is ? a.is < b.is : a.idx > b.idx; });
  for (const D& d : ds) {
    int& n = d.red ? g.rd : g.kd;
    auto& size = d.red ? g.rsize : g.ksize;
    auto& sin = d.red ? g.rin : g.kin;
    auto& sout = d.red ? g.rout : g.kout;
    if (n > 0 && sin[n - 1] * size[n - 1] == d.is && sout[n - 1] * size[n - 1] == d.os) {
      size[n - 1] *= d.size;  // merges with the previous dim of its kind
      continue;
    }
    SEEK_CHECK_SHAPE(n < kMaxDims, op, ": CUDA kernels index at most ", kMaxDims,
                     " kept and reduced dims after merging, got more for shape ", shape_str(in.sizes()));
    size[n] = d.size, sin[n] = d.is, sout[n] = d.os;
    ++n;
  }
  if (g.N == 0) g.rd = 1, g.rsize[0] = 0, g.rin[0] = 0, g.rout[0] = 0;  // each output folds an empty run
  return g;
}

// How a reduction is spread over threads and blocks (see the header comment).
struct ReducePlan {
  bool inner = true;
  unsigned lanes = 1;   // threads folding one output's run (blockDim.x inner, blockDim.y outer)
  unsigned outs = 1;    // outputs per block (blockDim.y inner, blockDim.x outer)
  int64_t splits = 1;   // blocks per output run (gridDim.y)
  int64_t chunk = 0;    // run elements per split
  int64_t groups = 1;   // output groups of `outs`
  unsigned grid_x = 1;  // blocks along x; they loop over the groups
};

inline constexpr unsigned kMaxOutsPerBlock = 32;  // outer layout: adjacent outputs per block, for long runs
inline constexpr int64_t kTargetBlocks = 264;     // about two waves of blocks on an H100 (132 SMs)
inline constexpr int64_t kMinPerLane = 32;        // elements each lane folds, at least, before a run is split
inline constexpr unsigned kMaxGridX = 65535;

inline ReducePlan plan_reduction(const ReduceGeometry& g) {
  ReducePlan p;
  p.inner = g.inner();
  // Long contiguous runs get 512 threads each; everything else 256-thread blocks.
  const int64_t block_threads = p.inner && g.N > kBlockThreads ? 2 * kBlockThreads : kBlockThreads;
  if (p.inner) {
    p.lanes = pow2_at_least(g.N, static_cast<unsigned>(block_threads));
    p.outs = static_cast<unsigned>(block_threads) / p.lanes;
  } else {
    // At least a warp's worth of adjacent outputs (one coalesced row segment), more when the
    // runs are too short to give every lane work.
    p.lanes = pow2_at_least(g.N, static_cast<unsigned>(block_threads) / pow2_at_least(g.M, kMaxOutsPerBlock));
    p.outs = std::min(pow2_at_least(g.M, static_cast<unsigned>(block_threads)),
                      static_cast<unsigned>(block_threads) / p.lanes);
  }
  p.groups = (g.M + p.outs - 1) / p.outs;
  const int64_t per_lane = (g.N + p.lanes - 1) / p.lanes;
  if (p.groups < kTargetBlocks && per_lane >= 2 * kMinPerLane) {
    const int64_t want = std::min<int64_t>((kTargetBlocks + p.groups - 1) / p.groups, per_lane / kMinPerLane);
    p.splits = std::min<int64_t>(want, 65535);
  }
  p.chunk = (g.N + p.splits - 1) / p.splits;
  if (p.chunk > 0) p.splits = (g.N + p.chunk - 1) / p.chunk;
  p.grid_x = static_cast<unsigned>(std::min<int64_t>(p.groups, kMaxGridX));
  return p;
}

}  // namespace seek::cuda
