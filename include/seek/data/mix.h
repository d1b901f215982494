#pragma once
// Batch-level mixing augmentations (torchvision.transforms.v2 MixUp / CutMix,
// timm's Mixup switch): they take a collated Batch {data [B, ...], target} and
// return one with soft targets [B, num_classes]. The target is either class
// indices [B] (integer) or soft targets [B, num_classes] (floating); index
// targets become float32 one-hot rows, soft ones keep their dtype. Label
// smoothing s maps every target row t to t * (1 - s) + s / num_classes before
// mixing. The partner of example i is example i - 1 (the batch rolled by one
// along dim 0, example 0 pairs with example B - 1), as timm and torchvision do.
// The mixing itself is written with seek ops, so it runs on any device; the
// random draws come from a CPU Generator.
//
// To mix in a DataLoader, wrap the collate function with
// collate_with_transform(): the mixing of batch b in epoch e then depends only
// on (seed, e, b), whatever the number of workers, and resumes exactly.
#include <cstdint>
#include <functional>

#include "seek/core/generator.h"
#include "seek/data/dataloader.h"

namespace seek::data {

// Gamma(shape, 1), shape > 0, by Marsaglia and Tsang's squeeze method ("A simple
// method for generating gamma variables", ACM TOMS 2000) on the Philox stream
// (nullptr: the CPU default generator). For shape < 1 it first reserves one
// block and uses Gamma(shape) = Gamma(shape + 1) * U^(1 / shape), U = 1 - the
// block's f64 uniform. Then, with d = a - 1/3 and c = 1 / sqrt(9 d) (a the
// possibly boosted shape), each attempt reserves two consecutive blocks: z =
// the f64 normal of the first, u = the f64 uniform of the second; v = (1 + c z)^3
// and the attempt accepts d * v when v > 0 and (u < 1 - 0.0331 z^4 or log u <
// z^2 / 2 + d (1 - v + log v)). (Acceptance is above 95% per attempt.)
double sample_gamma(double shape, Generator* generator = nullptr);
// log of a Gamma(shape, 1) draw, the same draws as sample_gamma; finite even
// where a tiny shape makes the draw itself underflow to 0.
double sample_log_gamma(double shape, Generator* generator = nullptr);
// Beta(a, b) = X / (X + Y) with X ~ Gamma(a) drawn first, then Y ~ Gamma(b)
// (computed from their logs, so tiny a, b never give 0 / 0).
double sample_beta(double a, double b, Generator* generator = nullptr);

// A random transform of a whole batch (MixUp, CutMix, RandomMixUpCutMix).
using BatchTransform = std::function<Batch(const Batch&, Generator*)>;

// out = lambda * x + (1 - lambda) * x.roll(1, 0) for the data and the soft
// targets alike, lambda ~ Beta(alpha, alpha) (sample_beta).
class MixUp {
 public:
  MixUp(double alpha, int64_t num_classes, double label_smoothing = 0.0);
  Batch operator()(const Batch& batch, Generator* generator = nullptr) const;
  // The mixing for a given lambda in [0, 1] (no draws).
  Batch mix(const Batch& batch, double lambda) const;

 private:
  double alpha_;
  int64_t num_classes_;
  double label_smoothing_;
};

// The pixels [y1, y2) x [x1, x2) pasted from the partner into each image
// [B, C, H, W]; the targets mix with lambda = 1 - box area / (H W).
struct CutMixBox {
  int64_t x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  bool operator==(const CutMixBox& o) const { return x1 == o.x1 && y1 == o.y1 && x2 == o.x2 && y2 == o.y2; }
};

// Draws per call: lambda ~ Beta(alpha, alpha) (sample_beta), then the centre
// cx = randint(0, W) and cy = randint(0, H) (one block each, in that order).
// The box (torchvision v2): r = sqrt(1 - lambda) / 2, half sizes
// rw = floor(r W), rh = floor(r H); x1 = max(cx - rw, 0), x2 = min(cx + rw, W),
// y1 = max(cy - rh, 0), y2 = min(cy + rh, H). Clipping at the border makes the
// box smaller than (1 - lambda) H W, which is why the targets use the box's
// real area.
class CutMix {
 public:
  CutMix(double alpha, int64_t num_classes, double label_smoothing = 0.0);
  Batch operator()(const Batch& batch, Generator* generator = nullptr) const;
  static CutMixBox box(int64_t height, int64_t width, double lambda, int64_t cx, int64_t cy);
  // Pastes `box` (inside the image) and mixes the targets by its area (no draws).
  Batch mix(const Batch& batch, const CutMixBox& box) const;

 private:
  double alpha_;
  int64_t num_classes_;
  double label_smoothing_;
};

// timm-style switch: one f64 rand({2}) draw u; with u[0] >= prob the batch is
// left as it is (targets still made soft and smoothed); otherwise CutMix when
// u[1] < switch_prob, else MixUp, with its own draws after.
class RandomMixUpCutMix {
 public:
  RandomMixUpCutMix(double mixup_alpha, double cutmix_alpha, int64_t num_classes, double switch_prob = 0.5,
                    double prob = 1.0, double label_smoothing = 0.0);
  Batch operator()(const Batch& batch, Generator* generator = nullptr) const;

 private:
  MixUp mixup_;
  CutMix cutmix_;
  int64_t num_classes_;
  double switch_prob_, prob_, label_smoothing_;
};

// Soft targets [B, num_classes] of a target [B] (class indices) or [B, K]
// (floating, K == num_classes), label-smoothed; `op` names the caller in errors.
Tensor soft_targets(const Tensor& target, int64_t num_classes, double label_smoothing = 0.0,
                    const char* op = "soft_targets");

// A DataLoader collate step: collate(examples), then transform(batch, &g) with a
// private Generator g(seed) at block offset (epoch << 40) + (batch << 16), so
// epochs and batches below 2^24 each get their own part of one stream; a
// transform may use at most 2^16 blocks per batch (seek::Error otherwise).
IndexedCollateFn collate_with_transform(BatchTransform transform, uint64_t seed, CollateFn collate = default_collate);

}  // namespace seek::data
