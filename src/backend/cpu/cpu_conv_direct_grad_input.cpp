// Input gradient of float32 convs that are not stride-1 (those take the forward path with the
// flipped weight, cpu_conv.cpp), groups 1, input channels a multiple of 2 vectors: the forward's
// channel-vector block (cpu_conv_direct_blocks.h) run once per sub-pixel phase, instead of a GEMM
// into an im2col matrix and a col2im scatter-add.
//
// The trick (phases): input row ih = a * sh + r gets grad_out row oh through kernel row i exactly
// when oh * sh - ph + i * dh = ih, i.e. oh = a + d_i with d_i = (r + ph - i * dh) / sh, which needs
// sh to divide r + ph - i * dh. So the input pixels of one phase (ih mod sh, iw mod sw) = (r, t)
// all see the same kernel rows I_r and columns J_t, each at a fixed offset (d_i, d_j):
//
//   gx[n, c, a * sh + r, b * sw + t] = sum over o, i in I_r, j in J_t of w[o, c, i, j] * gy[n, o, a + d_i, b + d_j]
//
// (zero outside grad_out). With grad_out copied into a zero-margined buffer that is a gather at a
// per-pixel base plus a per-tap offset, which is what the channel-vector block computes, here with
// its lanes over the input channels c. Every multiply-add is a useful one (a 3x3 stride-2 conv
// splits into 1x1, 1x2, 2x1 and 2x2 phases), and each gx element is summed by one task in a fixed
// order, so results do not depend on the threads.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "backend/cpu/cpu_conv_direct.h"
#include "backend/cpu/cpu_conv_direct_blocks.h"

namespace seek::cpu::direct {

namespace {

using namespace vec;
using namespace blocks;

// Padded grad_out of a strip of images: about this many bytes (L2-resident).
constexpr int64_t kStripBytes = 192 << 10;

// One phase of one axis: the input positions a * stride + r (count of them), the kernel taps
// that reach them and the grad_out offset d of each.
struct AxisPhase {
  int64_t r = 0, count = 0;
  std::vector<int64_t> taps, d;
};

// The phases of an axis of input size n, kernel k, padding p, stride st, dilation dl, and the
// zero margins (lo before, hi after) that grad_out of size on needs so every read stays inside.
struct Axis {
  std::vector<AxisPhase> phases;
  int64_t lo = 0, hi = 0;
};

Axis make_axis(int64_t n, int64_t on, int64_t k, int64_t p, int64_t st, int64_t dl) {
  Axis ax;
  for (int64_t r = 0; r < std::min(st, n); ++r) {
    AxisPhase ph;
    ph.r = r, ph.count = (n - r + st - 1) / st;
    for (int64_t i = 0; i < k; ++i) {
      const int64_t num = r + p - i * dl;
      if (num % st != 0) continue;
      ph.taps.push_back(i), ph.d.push_back(num / st);
      ax.lo = std::max(ax.lo, -num / st);
      ax.hi = std::max(ax.hi, ph.count - 1 + num / st - (on - 1));
    }
    ax.phases.push_back(std::move(ph));
  }
  return ax;
}

}  // namespace

bool grad_input_supported(const ConvShape& s, int64_t groups) {
  return groups == 1 && s.kh >= 1 && s.kw >= 1 && s.ph >= 0 && s.pw >= 0 && s.sh >= 1 && s.sw >= 1 && s.dh >= 1 &&
         s.dw >= 1 && cv_vectors_for(s.C) > 0;
}

void grad_input(const float* gy, const float* w, float* gx, const ConvShape& s) {
  const int64_t HW = s.H * s.W;
  if (s.N == 0 || s.C == 0) return;
  if (s.O == 0) {
    std::fill(gx, gx + s.N * s.C * HW, 0.f);
    return;
  }
  const int64_t OH = s.OH(), OW = s.OW(), L = OH * OW;
  const Axis ah = make_axis(s.H, OH, s.kh, s.ph, s.sh, s.dh), aw = make_axis(s.W, OW, s.kw, s.pw, s.sw, s.dw);
  // Padded grad_out: image m of a strip at m * PI, row a + ah.lo, column b + aw.lo; channel o at o * P.
  const int64_t OHp = ah.lo + OH + ah.hi, OWp = aw.lo + OW + aw.hi, PI = OHp * OWp;
  const int64_t M = std::clamp<int64_t>(kStripBytes / std::max<int64_t>(1, s.O * PI * 4), 1, s.N);
  const int64_t P = M * PI, strips = (s.N + M - 1) / M;
  const int64_t OV = cv_vectors_for(s.C), PB = kCvAcc / OV, OBW = OV * kLanes, nob = s.C / OBW;
  const ForwardCvFn kernel = forward_cv_kernel(OV);

  // Per phase (rh, rw): the taps (o, i, j) in o-major order, their offsets and packed weights [tap][C].
  struct Phase {
    const AxisPhase *h = nullptr, *w = nullptr;
    int64_t taps_per_o = 0;
    std::vector<int64_t> off;
    std::vector<float> wv;
  };
  std::vector<Phase> phases;
  int64_t max_pixels = 0;
  for (const AxisPhase& ph : ah.phases)
    for (const AxisPhase& pw : aw.phases) {
      Phase f;
      f.h = &ph, f.w = &pw;
      f.taps_per_o = static_cast<int64_t>(ph.taps.size() * pw.taps.size());
      for (int64_t o = 0; o < s.O && f.taps_per_o > 0; ++o)
        for (size_t ii = 0; ii < ph.taps.size(); ++ii)
          for (size_t jj = 0; jj < pw.taps.size(); ++jj) {
            f.off.push_back(o * P + ph.d[ii] * OWp + pw.d[jj]);
            const float* src = w + ((o * s.C) * s.kh + ph.taps[ii]) * s.kw + pw.taps[jj];
            for (int64_t c = 0; c < s.C; ++c) f.wv.push_back(src[c * s.kh * s.kw]);
          }
      max_pixels = std::max(max_pixels, (M * ph.count * pw.count + PB - 1) / PB * PB);
      phases.push_back(std::move(f));
    }

  const int64_t macs = s.N * s.C * s.O * s.kh * s.kw * L;
  const bool par = !omp_in_parallel() && omp_get_max_threads() > 1 && macs >= kParallelMacs;
  const int64_t want = 2 * static_cast<int64_t>(omp_get_max_threads());
  const int64_t splits = par && strips < want ? std::max<int64_t>(1, std::min(nob, (want + strips - 1) / strips)) : 1;
  const int64_t tasks = strips * splits;
#pragma omp parallel if (par)
  {
    AlignedBuf gp(s.O * P);           // margins stay zero; the interior is rewritten per strip
    AlignedBuf yt(max_pixels * s.C);  // one phase's results as [pixel][C]
    std::vector<int64_t> base, pix;   // per pixel: offset in gp, and of its gx element (image, ih, iw)
    base.reserve(static_cast<size_t>(max_pixels)), pix.reserve(static_cast<size_t>(max_pixels));
    int64_t cur = -1;
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t strip = t / splits, part = t % splits, n0 = strip * M, m = std::min(M, s.N - n0);
      if (strip != cur) {
        for (int64_t o = 0; o < s.O; ++o)
          for (int64_t im = 0; im < m; ++im)
            for (int64_t oh = 0; oh < OH; ++oh)
              std::copy_n(gy + ((n0 + im) * s.O + o) * L + oh * OW, OW,
                          gp.data() + o * P + im * PI + (oh + ah.lo) * OWp + aw.lo);
        cur = strip;
      }
      const int64_t c_lo = nob * part / splits * OBW, c_hi = nob * (part + 1) / splits * OBW;
      for (const Phase& f : phases) {
        base.clear(), pix.clear();
        for (int64_t im = 0; im < m; ++im)
          for (int64_t a = 0; a < f.h->count; ++a)
            for (int64_t b = 0; b < f.w->count; ++b) {
              base.push_back(im * PI + (a + ah.lo) * OWp + b + aw.lo);
              pix.push_back(im * s.C * HW + (a * s.sh + f.h->r) * s.W + b * s.sw + f.w->r);
            }
        const size_t n = pix.size();
        if (f.taps_per_o == 0) {  // no kernel tap reaches this phase (kernel smaller than the stride)
          for (int64_t c = c_lo; c < c_hi; ++c)
            for (size_t q = 0; q < n; ++q) gx[n0 * s.C * HW + c * HW + pix[q]] = 0.f;
          continue;
        }
        while (base.size() % static_cast<size_t>(PB)) base.push_back(base.back());
        // Output channels of grad_out in blocks whose weights stay in L1 over all pixels.
        const int64_t kc = std::max<int64_t>(1, kL1WeightBytes / (f.taps_per_o * OBW * 4));
        for (int64_t c0 = c_lo; c0 < c_hi; c0 += OBW)
          for (int64_t o0 = 0; o0 < s.O; o0 += kc) {
            const int64_t k0 = o0 * f.taps_per_o, kn = std::min(kc, s.O - o0) * f.taps_per_o;
            for (size_t p0 = 0; p0 < base.size(); p0 += static_cast<size_t>(PB))
              kernel(gp.data(), base.data() + p0, f.off.data() + k0, kn, f.wv.data() + k0 * s.C + c0, s.C,
                     yt.data() + static_cast<int64_t>(p0) * s.C + c0, o0 > 0);
          }
        for (int64_t c = c_lo; c < c_hi; ++c) {
          float* dst = gx + n0 * s.C * HW + c * HW;
          for (size_t q = 0; q < n; ++q) dst[pix[q]] = yt.data()[static_cast<int64_t>(q) * s.C + c];
        }
      }
    }
  }
}

}  // namespace seek::cpu::direct
