// Direct float32 convolution, groups 1 (see cpu_conv_direct.h for which convs).
//
// The trick ("q layout"): images are copied into a zero-padded buffer xp [C, Hp, Wp]
// (Hp = H + 2ph). Output pixel (oh, ow) is then q = oh * Wp + ow in padded-width
// coordinates, and kernel tap (c, i, j) reads xp[c * Hp * Wp + q + i * Wp + j]: for a run
// of consecutive q every tap is ONE contiguous (unaligned) vector load, with no im2col
// matrix and no per-row copies. All q in [0, OH * Wp) are computed (rounded up to whole
// vectors); the columns whose window wraps into the next row are junk and are dropped
// when the block is copied out. Several images sit side by side in one buffer (a
// "strip", see Plan), sharing their zero columns, which leaves kw - 1 - pw junk columns
// per image row. Loads past an image read its neighbour or the zeroed tail of the
// buffer, so they are finite and only reach junk outputs.
//
// Forward: a register block of kQV vectors of q times kOB output channels (4 x 6 = 24
// accumulators with AVX-512, 3 x 4 with AVX2; see kQV): per tap kQV loads, kOB weight
// broadcasts, kQV * kOB FMAs. Weights are packed per output-channel block as [tap][kOB] so
// the broadcasts are consecutive.
//
// Weight gradient: gw[o][tap] = sum over images and q of gy[o][q] * xp[q + off(tap)],
// with grad_out laid out in padded width too (junk columns and the tail ZERO, so they add
// nothing). A register block of kGwOB output channels times kGwKB taps keeps 16-lane
// partial sums over all q of a chunk of images and reduces them once at the end.
// (An infinite input value can turn a junk product 0 * inf into NaN; such a conv gives a
// non-finite gradient in any case.)
//
// Convs with O a multiple of 2 vectors use the channel-vector variant instead when the
// image is small (OH * OW <= 256) or the conv is strided or dilated (which the q layout
// cannot do): lanes run over output channels, a register block is PB output pixels
// (picked anywhere in the strip, at any stride, so nothing is junk) times OV vectors of
// channels, and the input values are broadcast. At 7x7 the q layout would waste 1
// column in 8. (Its forward block is shared with the strided input gradient,
// cpu_conv_direct_grad_input.cpp, through cpu_conv_direct_blocks.h.)
//
// Work is split over (strip of images, output-channel range) with OpenMP; every thread
// keeps its padded buffers, whose zero columns are written once per layout. Weight-gradient
// chunks are fixed by the shape (not by the thread count or the schedule) and their partial
// results are summed in chunk order, so results are bit-reproducible.
#include "backend/cpu/cpu_conv_direct.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "backend/cpu/cpu_conv_direct_blocks.h"
#include "backend/cpu/cpu_vec.h"

namespace seek::cpu::direct {

namespace {

using namespace vec;     // vf, kLanes, vload, vfma, ... (cpu_vec.h)
using namespace blocks;  // kCvAcc, AlignedBuf, forward_cv_block, ... (cpu_conv_direct_blocks.h)

// Register blocks, sized to the vector registers: AVX-512 has 32, AVX2 (and SSE, the
// portable 4-lane form) 16, and a block that needs more than the machine has spills its
// accumulators to the stack on every tap (the AVX-512 blocks ran at half speed on AVX2).
// Forward kQV q-vectors x kOB channels; weight grad kGwOB channels x kGwKB taps; the
// channel-vector variant kCvAcc accumulators (cpu_conv_direct_blocks.h).
constexpr int kQV = kWideRegs ? 4 : 3, kOB = kWideRegs ? 6 : 4;
constexpr int kGwOB = kWideRegs ? 6 : 4, kGwKB = kWideRegs ? 4 : 3;
// Forward strips: about this many bytes of padded input (L2-resident, reused by every
// output-channel block). Weight-gradient chunks: padded input + padded grad_out, about L2 / 2.
constexpr int64_t kStripBytes = 192 << 10, kChunkBytes = 768 << 10;
constexpr int64_t kMaxStripImages = 16;

// Geometry of a strip of M images laid side by side in one padded buffer [C, Hp, Wp]:
// pw zero columns, image 0, pw zero columns, image 1, ..., image M-1, pw zero columns.
// The zero columns between two images serve as the right padding of one and the left
// padding of the other, so each image costs only W + pw columns: output column ow of
// image m is padded column m * (W + pw) + ow, and its kw - 1 - pw junk columns (the
// windows that straddle two images) are the only waste besides rounding q up to vectors.
struct Plan {
  int64_t M, Hp, Wp, P, OH, OW, Q, Qpad, K, len;
  int64_t stride;            // W + pw: columns per image
  std::vector<int64_t> off;  // off[(c * kh + i) * kw + j] = c * P + i * Wp + j
};

Plan make_plan(const ConvShape& s, int64_t M) {
  Plan p;
  p.M = M, p.stride = s.W + s.pw;
  p.Hp = s.H + 2 * s.ph, p.Wp = s.pw + M * p.stride, p.P = p.Hp * p.Wp;
  p.OH = s.OH(), p.OW = s.OW();
  p.Q = p.OH * p.Wp, p.Qpad = (p.Q + kLanes - 1) / kLanes * kLanes;
  p.K = s.C * s.kh * s.kw;
  // The last tap (c = C-1, i = kh-1, j = kw-1) of the last q-vector reads up to float
  // (C-1) * P + Qpad - 1 + (kh-1) * Wp + kw - 1 = C * P + (Qpad - Q) + kw - 2 (stride 1).
  // Channel-vector reads stay inside the C * P floats for any stride and dilation.
  p.len = s.C * p.P + (p.Qpad - p.Q) + s.kw - 1;
  p.off.resize(static_cast<size_t>(p.K));
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j)
        p.off[static_cast<size_t>((c * s.kh + i) * s.kw + j)] = c * p.P + i * s.dh * p.Wp + j * s.dw;
  return p;
}

// Images per strip: as many as fit in `bytes` when each costs `per_image` bytes (at most 16
// and N), lowered by up to half when that makes the number of strips a multiple of `parts`,
// so that equal workers get equal shares.
int64_t images_per_strip(const ConvShape& s, int64_t per_image, int64_t bytes, int64_t parts) {
  const int64_t m0 = std::clamp<int64_t>(bytes / std::max<int64_t>(1, per_image), 1, std::min(kMaxStripImages, s.N));
  for (int64_t m = m0; m >= std::max<int64_t>(1, m0 / 2); --m)
    if (((s.N + m - 1) / m) % std::max<int64_t>(1, parts) == 0) return m;
  return m0;
}

// Forward strips are balanced over the threads; weight-gradient chunks over a fixed 4 parts,
// since their partition fixes the summation order (results must not depend on the threads).
int64_t forward_parts() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }
constexpr int64_t kChunkParts = 4;

// dst[0, n) = src[0, n) + add: whole vectors, then (with AVX-512) one masked vector for the
// rest; image rows are short (7-33 floats), so a scalar tail would dominate.
inline void copy_floats(float* dst, const float* src, int64_t n, float add = 0.f) {
  int64_t i = 0;
  const vf a = vset1(add);
  for (; i + kLanes <= n; i += kLanes) vstore(dst + i, vload(src + i) + a);
#if defined(__AVX512F__)
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i) + a);
  }
#else
  for (; i < n; ++i) dst[i] = src[i] + add;
#endif
}

// Copies the m = p.M images x [m, C, H, W] into the strip buffer (zero columns untouched).
void pad_strip(const float* x, const ConvShape& s, const Plan& p, float* xp) {
  for (int64_t im = 0; im < p.M; ++im)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t h = 0; h < s.H; ++h)
        copy_floats(xp + c * p.P + (h + s.ph) * p.Wp + s.pw + im * p.stride, x + ((im * s.C + c) * s.H + h) * s.W, s.W);
}

// Work split: `units` independent units (strips or chunks) times `splits` ranges of the
// `blocks` output-channel blocks, so that small batches still keep every thread busy.
int64_t channel_splits(bool par, int64_t units, int64_t blocks) {
  const int64_t want = 2 * static_cast<int64_t>(omp_get_max_threads());
  if (!par || units >= want) return 1;
  return std::max<int64_t>(1, std::min(blocks, (want + units - 1) / units));
}

// The plans of the full strips (M images) and of the last one (the N % M rest, if any).
struct Strips {
  int64_t M, count;
  Plan full, last;
  Strips(const ConvShape& s, int64_t m)
      : M(m), count((s.N + m - 1) / m), full(make_plan(s, m)), last(make_plan(s, s.N - (count - 1) * m)) {}
  const Plan& plan(int64_t strip) const { return strip + 1 < count || last.M == M ? full : last; }
};

// ---- forward ----

// y[oo][q] (row stride ld) for q in [0, QV * kLanes) of one block of OB channels over the
// taps [0, K) of off: xq = padded strip + q0, wk = the block's packed weights [K][OB].
template <int QV, int OB>
void forward_block(const float* xq, const int64_t* off, int64_t K, const float* wk, float* yq, int64_t ld) {
  vf acc[OB][QV];
#pragma GCC unroll 8
  for (int oo = 0; oo < OB; ++oo)
#pragma GCC unroll 4
    for (int v = 0; v < QV; ++v) acc[oo][v] = vzero();
  for (int64_t k = 0; k < K; ++k) {
    const float* src = xq + off[k];
    vf xv[QV];
#pragma GCC unroll 4
    for (int v = 0; v < QV; ++v) xv[v] = vload(src + v * kLanes);
    const float* wv = wk + k * OB;
#pragma GCC unroll 8
    for (int oo = 0; oo < OB; ++oo) {
      const vf b = vset1(wv[oo]);
#pragma GCC unroll 4
      for (int v = 0; v < QV; ++v) acc[oo][v] = vfma(xv[v], b, acc[oo][v]);
    }
  }
#pragma GCC unroll 8
  for (int oo = 0; oo < OB; ++oo)
#pragma GCC unroll 4
    for (int v = 0; v < QV; ++v) vstore(yq + oo * ld + v * kLanes, acc[oo][v]);
}

using ForwardFn = void (*)(const float*, const int64_t*, int64_t, const float*, float*, int64_t);

// kForward[QV - 1][OB - 1]: every block shape up to kQV x kOB (the edges of a conv).
template <int QV, size_t... OB>
constexpr std::array<ForwardFn, kOB> forward_row(std::index_sequence<OB...>) {
  return {&forward_block<QV, static_cast<int>(OB) + 1>...};
}
template <size_t... QV>
constexpr std::array<std::array<ForwardFn, kOB>, kQV> forward_table(std::index_sequence<QV...>) {
  return {forward_row<static_cast<int>(QV) + 1>(std::make_index_sequence<kOB>())...};
}
constexpr auto kForward = forward_table(std::make_index_sequence<kQV>());

// The q-layout forward (see the file comment).
void forward_q(const float* x, const float* w, const float* b, float* y, const ConvShape& s) {
  const Strips st(s, images_per_strip(s, s.C * (s.H + 2 * s.ph) * (s.W + s.pw) * 4, kStripBytes, forward_parts()));
  const int64_t K = st.full.K, OH = st.full.OH, OW = st.full.OW, L = OH * OW;
  const int64_t nob = (s.O + kOB - 1) / kOB;
  // wpk: block ob (channels o0 .. o0 + n) at o0 * K, laid out [k][n].
  std::vector<float> wpk(static_cast<size_t>(s.O * K));
  for (int64_t o0 = 0; o0 < s.O; o0 += kOB) {
    const int64_t n = std::min<int64_t>(kOB, s.O - o0);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t oo = 0; oo < n; ++oo) wpk[static_cast<size_t>(o0 * K + k * n + oo)] = w[(o0 + oo) * K + k];
  }
  const bool par = !omp_in_parallel() && omp_get_max_threads() > 1 && s.N * s.O * K * L >= kParallelMacs;
  const int64_t splits = channel_splits(par, st.count, nob);
  const int64_t tasks = st.count * splits;
#pragma omp parallel if (par)
  {
    AlignedBuf xp(st.full.len);  // the full strip is the largest
    AlignedBuf yp(kOB * st.full.Qpad);
    const Plan* layout = &st.full;  // the layout whose zero columns xp holds
    int64_t cur = -1;               // the strip whose images xp holds
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t strip = t / splits, part = t % splits, n0 = strip * st.M;
      const Plan& p = st.plan(strip);
      if (&p != layout) xp.zero(), layout = &p, cur = -1;
      if (strip != cur) pad_strip(x + n0 * s.C * s.H * s.W, s, p, xp.data()), cur = strip;
      const int64_t ob_lo = nob * part / splits, ob_hi = nob * (part + 1) / splits;
      for (int64_t ob = ob_lo; ob < ob_hi; ++ob) {
        const int64_t o0 = ob * kOB, on = std::min<int64_t>(kOB, s.O - o0);
        for (int64_t q0 = 0; q0 < p.Qpad; q0 += kQV * kLanes) {
          const int64_t qv = std::min<int64_t>(kQV, (p.Qpad - q0) / kLanes);
          kForward[static_cast<size_t>(qv - 1)][static_cast<size_t>(on - 1)](
              xp.data() + q0, p.off.data(), K, wpk.data() + o0 * K, yp.data() + q0, p.Qpad);
        }
        // Copy the valid columns of each image out (dropping the junk ones), adding the bias.
        for (int64_t im = 0; im < p.M; ++im)
          for (int64_t oo = 0; oo < on; ++oo) {
            const float bias = b ? b[o0 + oo] : 0.f;
            float* dst = y + ((n0 + im) * s.O + o0 + oo) * L;
            const float* src = yp.data() + oo * p.Qpad + im * p.stride;
            for (int64_t oh = 0; oh < OH; ++oh) copy_floats(dst + oh * OW, src + oh * p.Wp, OW, bias);
          }
      }
    }
  }
}

// ---- weight gradient, q layout ----

// out[oo * ldo + kk] = sum over q < qpad of gy[oo * ld + q] * x[q + off[kk]], for OB
// channels and KB taps: one strip of images.
template <int OB, int KB>
void grad_weight_block(const float* gy, int64_t ld, const float* x, const int64_t* off, int64_t qpad, float* out,
                       int64_t ldo) {
  vf acc[OB][KB];
#pragma GCC unroll 8
  for (int oo = 0; oo < OB; ++oo)
#pragma GCC unroll 4
    for (int kk = 0; kk < KB; ++kk) acc[oo][kk] = vzero();
  int64_t offs[KB];
  for (int kk = 0; kk < KB; ++kk) offs[kk] = off[kk];
  for (int64_t q = 0; q < qpad; q += kLanes) {
    vf gv[OB];
#pragma GCC unroll 8
    for (int oo = 0; oo < OB; ++oo) gv[oo] = vload(gy + oo * ld + q);
#pragma GCC unroll 4
    for (int kk = 0; kk < KB; ++kk) {
      const vf xv = vload(x + offs[kk] + q);
#pragma GCC unroll 8
      for (int oo = 0; oo < OB; ++oo) acc[oo][kk] = vfma(gv[oo], xv, acc[oo][kk]);
    }
  }
  for (int oo = 0; oo < OB; ++oo)
    for (int kk = 0; kk < KB; ++kk) out[oo * ldo + kk] = vsum(acc[oo][kk]);
}

using GradWeightFn = void (*)(const float*, int64_t, const float*, const int64_t*, int64_t, float*, int64_t);

// kGradWeight[OB - 1][KB - 1]: every block shape up to kGwOB x kGwKB.
template <int OB, size_t... KB>
constexpr std::array<GradWeightFn, kGwKB> grad_weight_row(std::index_sequence<KB...>) {
  return {&grad_weight_block<OB, static_cast<int>(KB) + 1>...};
}
template <size_t... OB>
constexpr std::array<std::array<GradWeightFn, kGwKB>, kGwOB> grad_weight_table(std::index_sequence<OB...>) {
  return {grad_weight_row<static_cast<int>(OB) + 1>(std::make_index_sequence<kGwKB>())...};
}
constexpr auto kGradWeight = grad_weight_table(std::make_index_sequence<kGwOB>());

void grad_weight_q(const float* gy, const float* x, float* gw, const ConvShape& s) {
  const int64_t K = s.C * s.kh * s.kw, OK = s.O * K;
  // One chunk = one strip of images; the chunking depends on the shape only.
  const int64_t OH = s.OH(), OW = s.OW(), L = OH * OW;
  const int64_t per_image = (s.C * (s.H + 2 * s.ph) + s.O * OH) * (s.W + s.pw) * 4;
  const Strips st(s, images_per_strip(s, per_image, kChunkBytes, kChunkParts));
  const int64_t nob = (s.O + kGwOB - 1) / kGwOB;
  const bool par = !omp_in_parallel() && omp_get_max_threads() > 1 && s.N * OK * L >= kParallelMacs;
  const int64_t splits = channel_splits(par, st.count, nob);
  const int64_t tasks = st.count * splits;
  // acc[chunk][o][k]: each entry is written by exactly one task.
  std::vector<float> acc(static_cast<size_t>(st.count * OK));
#pragma omp parallel if (par)
  {
    AlignedBuf xp(st.full.len);
    AlignedBuf gp(s.O * st.full.Qpad);  // grad_out in padded width; junk columns and tails stay zero
    const Plan* layout = &st.full;
    int64_t cur = -1;
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t chunk = t / splits, part = t % splits, n0 = chunk * st.M;
      const Plan& p = st.plan(chunk);
      if (&p != layout) xp.zero(), gp.zero(), layout = &p, cur = -1;
      if (chunk != cur) pad_strip(x + n0 * s.C * s.H * s.W, s, p, xp.data()), cur = chunk;
      const int64_t ob_lo = nob * part / splits, ob_hi = nob * (part + 1) / splits;
      const int64_t o_lo = ob_lo * kGwOB, o_hi = std::min(s.O, ob_hi * kGwOB);
      for (int64_t im = 0; im < p.M; ++im)
        for (int64_t o = o_lo; o < o_hi; ++o) {
          const float* src = gy + ((n0 + im) * s.O + o) * L;
          float* dst = gp.data() + o * p.Qpad + im * p.stride;
          for (int64_t oh = 0; oh < OH; ++oh) copy_floats(dst + oh * p.Wp, src + oh * OW, OW);
        }
      for (int64_t ob = ob_lo; ob < ob_hi; ++ob) {
        const int64_t o0 = ob * kGwOB, on = std::min<int64_t>(kGwOB, s.O - o0);
        for (int64_t k0 = 0; k0 < K; k0 += kGwKB) {
          const int64_t kn = std::min<int64_t>(kGwKB, K - k0);
          kGradWeight[static_cast<size_t>(on - 1)][static_cast<size_t>(kn - 1)](
              gp.data() + o0 * p.Qpad, p.Qpad, xp.data(), p.off.data() + k0, p.Qpad,
              acc.data() + chunk * OK + o0 * K + k0, K);
        }
      }
    }
  }
  // Chunks in a fixed order.
  for (int64_t i = 0; i < OK; ++i) {
    float v = 0.f;
    for (int64_t c = 0; c < st.count; ++c) v += acc[static_cast<size_t>(c * OK + i)];
    gw[i] = v;
  }
}

// ---- channel-vector variant, for small images with O a multiple of 2 vectors ----
// Here the SIMD lanes run over output channels instead of q: a block of PB output
// pixels (any pixels of the strip, so no junk columns) times OV vectors of channels;
// per tap OV weight loads ([tap][O] packing), PB input broadcasts, PB * OV FMAs. The
// results come out as [pixel][O] and are transposed into [O][pixel]. The weight
// gradient takes grad_out transposed to [pixel][O] and needs no horizontal sums.

// out[kk * O + o] = sum over the npix pixels of gyt[pix * O + o] * xp[base[pix] + off[kk]].
template <int KB, int OV>
void grad_weight_cv_block(const float* xp, const int64_t* base, int64_t npix, const int64_t* off, const float* gyt,
                          int64_t O, float* out) {
  vf acc[KB][OV];
  int64_t offs[KB];
#pragma GCC unroll 12
  for (int kk = 0; kk < KB; ++kk) {
    offs[kk] = off[kk];
#pragma GCC unroll 4
    for (int v = 0; v < OV; ++v) acc[kk][v] = vzero();
  }
  for (int64_t pix = 0; pix < npix; ++pix) {
    vf g[OV];
#pragma GCC unroll 4
    for (int v = 0; v < OV; ++v) g[v] = vload(gyt + pix * O + v * kLanes);
    const float* xb = xp + base[pix];
#pragma GCC unroll 12
    for (int kk = 0; kk < KB; ++kk) {
      const vf b = vset1(xb[offs[kk]]);
#pragma GCC unroll 4
      for (int v = 0; v < OV; ++v) acc[kk][v] = vfma(g[v], b, acc[kk][v]);
    }
  }
#pragma GCC unroll 12
  for (int kk = 0; kk < KB; ++kk)
#pragma GCC unroll 4
    for (int v = 0; v < OV; ++v) vstore(out + kk * O + v * kLanes, acc[kk][v]);
}

// Vectors of output channels per block (0: the channel-vector variant does not apply).
int64_t cv_vectors(const ConvShape& s) { return cv_vectors_for(s.O); }

// Offsets in the strip buffer of its output pixels (image, oh, ow), in y's order, padded
// to a multiple of `multiple` by repeating the last one.
std::vector<int64_t> pixel_bases(const Plan& p, int64_t sh, int64_t sw, int64_t multiple) {
  std::vector<int64_t> base;
  base.reserve(static_cast<size_t>(p.M * p.OH * p.OW + multiple));
  for (int64_t im = 0; im < p.M; ++im)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow) base.push_back(oh * sh * p.Wp + im * p.stride + ow * sw);
  while (base.size() % static_cast<size_t>(multiple)) base.push_back(base.back());
  return base;
}

void forward_cv(const float* x, const float* w, const float* b, float* y, const ConvShape& s) {
  const int64_t OV = cv_vectors(s), PB = kCvAcc / OV, OBW = OV * kLanes;  // channels per block
  const Strips st(s, images_per_strip(s, s.C * (s.H + 2 * s.ph) * (s.W + s.pw) * 4, kStripBytes, forward_parts()));
  const int64_t K = st.full.K, L = st.full.OH * st.full.OW, nob = s.O / OBW;
  std::vector<float> wv(static_cast<size_t>(K * s.O));  // [K][O]
  for (int64_t o = 0; o < s.O; ++o)
    for (int64_t k = 0; k < K; ++k) wv[static_cast<size_t>(k * s.O + o)] = w[o * K + k];
  const std::vector<int64_t> base_full = pixel_bases(st.full, s.sh, s.sw, PB),
                             base_last = pixel_bases(st.last, s.sh, s.sw, PB);
  const ForwardCvFn kernel = forward_cv_kernel(OV);
  const int64_t kc = std::max<int64_t>(1, kL1WeightBytes / (s.kh * s.kw * OBW * 4));
  const bool par = !omp_in_parallel() && omp_get_max_threads() > 1 && s.N * s.O * K * L >= kParallelMacs;
  const int64_t splits = channel_splits(par, st.count, nob);
  const int64_t tasks = st.count * splits;
#pragma omp parallel if (par)
  {
    AlignedBuf xp(st.full.len);
    AlignedBuf yt(static_cast<int64_t>(base_full.size()) * s.O);  // [pixel][O]
    const Plan* layout = &st.full;
    int64_t cur = -1;
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t strip = t / splits, part = t % splits, n0 = strip * st.M;
      const Plan& p = st.plan(strip);
      const std::vector<int64_t>& base = &p == &st.full ? base_full : base_last;
      if (&p != layout) xp.zero(), layout = &p, cur = -1;
      if (strip != cur) pad_strip(x + n0 * s.C * s.H * s.W, s, p, xp.data()), cur = strip;
      const int64_t o_lo = nob * part / splits * OBW, o_hi = nob * (part + 1) / splits * OBW;
      // Input channels in blocks of kc, so that their weights stay in L1 over all pixels.
      for (int64_t o0 = o_lo; o0 < o_hi; o0 += OBW)
        for (int64_t c0 = 0; c0 < s.C; c0 += kc) {
          const int64_t k0 = c0 * s.kh * s.kw, kn = std::min(kc, s.C - c0) * s.kh * s.kw;
          for (size_t p0 = 0; p0 < base.size(); p0 += static_cast<size_t>(PB))
            kernel(xp.data(), base.data() + p0, p.off.data() + k0, kn, wv.data() + k0 * s.O + o0, s.O,
                   yt.data() + static_cast<int64_t>(p0) * s.O + o0, c0 > 0);
        }
      for (int64_t im = 0; im < p.M; ++im)
        transpose(yt.data() + im * L * s.O + o_lo, s.O, y + ((n0 + im) * s.O + o_lo) * L, L, L, o_hi - o_lo,
                  b ? b + o_lo : nullptr);
    }
  }
}

void grad_weight_cv(const float* gy, const float* x, float* gw, const ConvShape& s) {
  const int64_t OV = cv_vectors(s), KB = kCvAcc / OV, OBW = OV * kLanes;
  const int64_t K = s.C * s.kh * s.kw, Kpad = (K + KB - 1) / KB * KB, OK = s.O * K;
  const int64_t OH = s.OH(), OW = s.OW(), L = OH * OW;
  const int64_t per_image = (s.C * (s.H + 2 * s.ph) * (s.W + s.pw) + s.O * L) * 4;
  const Strips st(s, images_per_strip(s, per_image, kChunkBytes, kChunkParts));
  const int64_t nob = s.O / OBW;
  const auto kernel = OV == 4 ? &grad_weight_cv_block<kCvAcc / 4, 4> : &grad_weight_cv_block<kCvAcc / 2, 2>;
  const std::vector<int64_t> base_full = pixel_bases(st.full, s.sh, s.sw, 1),
                             base_last = pixel_bases(st.last, s.sh, s.sw, 1);
  const bool par = !omp_in_parallel() && omp_get_max_threads() > 1 && s.N * OK * L >= kParallelMacs;
  const int64_t splits = channel_splits(par, st.count, nob);
  const int64_t tasks = st.count * splits;
  // acc[chunk][k][o] for k < Kpad: each entry written by exactly one task.
  std::vector<float> acc(static_cast<size_t>(st.count * Kpad * s.O));
#pragma omp parallel if (par)
  {
    AlignedBuf xp(st.full.len);
    AlignedBuf gt(st.M * L * s.O);  // grad_out of the chunk as [pixel][O]
    std::vector<int64_t> off;       // the plan's tap offsets, padded to Kpad with the last one
    const Plan* layout = &st.full;
    int64_t cur = -1;
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t chunk = t / splits, part = t % splits, n0 = chunk * st.M;
      const Plan& p = st.plan(chunk);
      const std::vector<int64_t>& base = &p == &st.full ? base_full : base_last;
      if (&p != layout) xp.zero(), layout = &p, cur = -1;
      if (chunk != cur) pad_strip(x + n0 * s.C * s.H * s.W, s, p, xp.data()), cur = chunk;
      off.assign(p.off.begin(), p.off.end());
      off.resize(static_cast<size_t>(Kpad), p.off.back());
      const int64_t o_lo = nob * part / splits * OBW, o_hi = nob * (part + 1) / splits * OBW;
      for (int64_t im = 0; im < p.M; ++im)
        transpose(gy + ((n0 + im) * s.O + o_lo) * L, L, gt.data() + im * L * s.O + o_lo, s.O, o_hi - o_lo, L);
      for (int64_t o0 = o_lo; o0 < o_hi; o0 += OBW)
        for (int64_t k0 = 0; k0 < Kpad; k0 += KB)
          kernel(xp.data(), base.data(), static_cast<int64_t>(base.size()), off.data() + k0, gt.data() + o0, s.O,
                 acc.data() + (chunk * Kpad + k0) * s.O + o0);
    }
  }
  for (int64_t o = 0; o < s.O; ++o)
    for (int64_t k = 0; k < K; ++k) {
      float v = 0.f;
      for (int64_t c = 0; c < st.count; ++c) v += acc[static_cast<size_t>((c * Kpad + k) * s.O + o)];
      gw[o * K + k] = v;
    }
}

// The channel-vector variant is the only one for strided or dilated convs; for stride 1 it
// wins where the q layout wastes the most: small images.
bool use_channel_vectors(const ConvShape& s) { return cv_vectors(s) > 0 && (!stride_one(s) || s.OH() * s.OW() <= 256); }

}  // namespace

bool stride_one(const ConvShape& s) {
  return s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.ph <= s.kh - 1 && s.pw <= s.kw - 1;
}

bool supported(const ConvShape& s, int64_t groups) {
  return groups == 1 && s.kh >= 1 && s.kw >= 1 && s.ph >= 0 && s.pw >= 0 && (stride_one(s) || cv_vectors(s) > 0);
}

void forward(const float* x, const float* w, const float* b, float* y, const ConvShape& s) {
  if (s.N == 0 || s.O == 0) return;
  if (s.C == 0) {  // no input channels: the bias alone
    const int64_t L = s.OH() * s.OW();
    for (int64_t i = 0; i < s.N * s.O; ++i) std::fill(y + i * L, y + (i + 1) * L, b ? b[i % s.O] : 0.f);
    return;
  }
  if (use_channel_vectors(s))
    forward_cv(x, w, b, y, s);
  else
    forward_q(x, w, b, y, s);
}

void grad_weight(const float* gy, const float* x, float* gw, const ConvShape& s) {
  if (s.N == 0 || s.C == 0 || s.O == 0) {
    std::fill(gw, gw + s.O * s.C * s.kh * s.kw, 0.f);
    return;
  }
  if (use_channel_vectors(s))
    grad_weight_cv(gy, x, gw, s);
  else
    grad_weight_q(gy, x, gw, s);
}

}  // namespace seek::cpu::direct
