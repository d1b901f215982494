// Gamma / Beta sampling on the Philox stream, MixUp, CutMix, RandomMixUpCutMix
// and the mixing collate step. See seek/data/mix.h.
#include "seek/data/mix.h"

#include <algorithm>
#include <cmath>

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/random.h"
#include "seek/ops/ternary.h"

namespace seek::data {
namespace {

Generator& resolve(Generator* generator) { return generator ? *generator : default_generator(kCPU); }

// log Gamma(a) draw for a >= 1 (Marsaglia-Tsang), two blocks per attempt.
double log_gamma_at_least_one(double a, Generator& gen) {
  const double d = a - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    GeneratorState s = gen.reserve(2);
    const double z = rng::normal<double>(philox_block(s.seed, s.offset));
    const double u = rng::uniform<double>(philox_block(s.seed, s.offset + 1));
    const double t = 1.0 + c * z;
    if (t <= 0.0) continue;
    const double v = t * t * t;
    const double z2 = z * z;
    if (u < 1.0 - 0.0331 * z2 * z2 || std::log(u) < 0.5 * z2 + d * (1.0 - v + std::log(v)))
      return std::log(d) + std::log(v);
  }
}

void check_mix_args(const char* op, double alpha, int64_t num_classes, double label_smoothing) {
  SEEK_CHECK_VALUE(std::isfinite(alpha) && alpha > 0.0, op, ": alpha must be > 0, got ", alpha);
  SEEK_CHECK_VALUE(num_classes > 0, op, ": num_classes must be positive, got ", num_classes);
  SEEK_CHECK_VALUE(label_smoothing >= 0.0 && label_smoothing <= 1.0, op, ": label_smoothing must be in [0, 1], got ",
                   label_smoothing);
}

// Checks the batch layout; returns the batch size.
int64_t check_batch(const char* op, const Batch& batch, int64_t min_dim) {
  SEEK_CHECK_SHAPE(batch.data.defined() && batch.target.defined(), op, ": batch data and target must be defined");
  SEEK_CHECK_DTYPE(is_floating(batch.data.dtype()), op, ": expected floating data, got ", batch.data.dtype());
  SEEK_CHECK_SHAPE(batch.data.dim() >= min_dim, op, ": expected data with at least ", min_dim,
                   " dimensions [B, ...], got ", shape_str(batch.data.sizes()));
  const int64_t b = batch.data.size(0);
  SEEK_CHECK_SHAPE(b > 0, op, ": the batch is empty");
  SEEK_CHECK_SHAPE(batch.target.dim() >= 1 && batch.target.size(0) == b, op, ": target ",
                   shape_str(batch.target.sizes()), " does not have the batch size ", b, " of the data ",
                   shape_str(batch.data.sizes()));
  return b;
}

// x rolled by one along dim 0: out[i] = x[i - 1], out[0] = x[B - 1].
Tensor roll_one(const Tensor& x) {
  const int64_t b = x.size(0);
  std::vector<int64_t> idx(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) idx[static_cast<size_t>(i)] = (i + b - 1) % b;
  return index_select(x, 0, tensor(idx, {b}, TensorOptions(kInt64)).to(x.device()));
}

Tensor lerp_rolled(const Tensor& x, double lambda) { return x * lambda + roll_one(x) * (1.0 - lambda); }

}  // namespace

double sample_log_gamma(double shape, Generator* generator) {
  SEEK_CHECK_VALUE(std::isfinite(shape) && shape > 0.0, "sample_gamma: shape must be a finite number > 0, got ", shape);
  Generator& gen = resolve(generator);
  if (shape >= 1.0) return log_gamma_at_least_one(shape, gen);
  GeneratorState s = gen.reserve(1);
  const double u = 1.0 - rng::uniform<double>(philox_block(s.seed, s.offset));  // in (0, 1]
  return log_gamma_at_least_one(shape + 1.0, gen) + std::log(u) / shape;
}

double sample_gamma(double shape, Generator* generator) { return std::exp(sample_log_gamma(shape, generator)); }

double sample_beta(double a, double b, Generator* generator) {
  SEEK_CHECK_VALUE(std::isfinite(a) && a > 0.0 && std::isfinite(b) && b > 0.0,
                   "sample_beta: a and b must be finite numbers > 0, got ", a, " and ", b);
  const double lx = sample_log_gamma(a, generator);
  const double ly = sample_log_gamma(b, generator);
  // X / (X + Y) = 1 / (1 + exp(ly - lx)).
  return 1.0 / (1.0 + std::exp(ly - lx));
}

Tensor soft_targets(const Tensor& target, int64_t num_classes, double label_smoothing, const char* op) {
  SEEK_CHECK_VALUE(num_classes > 0, op, ": num_classes must be positive, got ", num_classes);
  Tensor soft;
  if (target.dim() == 1 && !is_floating(target.dtype()) && target.dtype() != kBool) {
    auto labels = to_vector<int64_t>(target);
    for (size_t i = 0; i < labels.size(); ++i)
      SEEK_CHECK_INDEX(labels[i] >= 0 && labels[i] < num_classes, op, ": target[", i, "] = ", labels[i],
                       " is not a class index in [0, ", num_classes, ")");
    soft = one_hot(target.to(kInt64), num_classes).to(kFloat32);
  } else {
    SEEK_CHECK_SHAPE(target.dim() == 2 && is_floating(target.dtype()) && target.size(1) == num_classes, op,
                     ": expected target class indices [B] (integer) or soft targets [B, ", num_classes,
                     "] (floating), got ", shape_str(target.sizes()), " ", target.dtype());
    soft = target;
  }
  if (label_smoothing > 0.0) soft = soft * (1.0 - label_smoothing) + label_smoothing / static_cast<double>(num_classes);
  return soft;
}

MixUp::MixUp(double alpha, int64_t num_classes, double label_smoothing)
    : alpha_(alpha), num_classes_(num_classes), label_smoothing_(label_smoothing) {
  check_mix_args("MixUp", alpha, num_classes, label_smoothing);
}

Batch MixUp::mix(const Batch& batch, double lambda) const {
  check_batch("MixUp", batch, 1);
  SEEK_CHECK_VALUE(lambda >= 0.0 && lambda <= 1.0, "MixUp: lambda must be in [0, 1], got ", lambda);
  Tensor soft = soft_targets(batch.target, num_classes_, label_smoothing_, "MixUp");
  return {lerp_rolled(batch.data, lambda), lerp_rolled(soft, lambda)};
}

Batch MixUp::operator()(const Batch& batch, Generator* generator) const {
  check_batch("MixUp", batch, 1);
  return mix(batch, sample_beta(alpha_, alpha_, generator));
}

CutMix::CutMix(double alpha, int64_t num_classes, double label_smoothing)
    : alpha_(alpha), num_classes_(num_classes), label_smoothing_(label_smoothing) {
  check_mix_args("CutMix", alpha, num_classes, label_smoothing);
}

CutMixBox CutMix::box(int64_t height, int64_t width, double lambda, int64_t cx, int64_t cy) {
  SEEK_CHECK_VALUE(height > 0 && width > 0, "CutMix::box: image size must be positive, got ", height, "x", width);
  SEEK_CHECK_VALUE(lambda >= 0.0 && lambda <= 1.0, "CutMix::box: lambda must be in [0, 1], got ", lambda);
  SEEK_CHECK_VALUE(cx >= 0 && cx < width && cy >= 0 && cy < height, "CutMix::box: centre (", cx, ", ", cy,
                   ") is outside the ", height, "x", width, " image");
  const double r = 0.5 * std::sqrt(1.0 - lambda);
  const auto rw = static_cast<int64_t>(r * static_cast<double>(width));
  const auto rh = static_cast<int64_t>(r * static_cast<double>(height));
  return {std::max<int64_t>(cx - rw, 0), std::max<int64_t>(cy - rh, 0), std::min(cx + rw, width),
          std::min(cy + rh, height)};
}

Batch CutMix::mix(const Batch& batch, const CutMixBox& box) const {
  check_batch("CutMix", batch, 4);
  SEEK_CHECK_SHAPE(batch.data.dim() == 4, "CutMix: expected data [B, C, H, W], got ", shape_str(batch.data.sizes()));
  const int64_t h = batch.data.size(2), w = batch.data.size(3);
  SEEK_CHECK_VALUE(0 <= box.x1 && box.x1 <= box.x2 && box.x2 <= w && 0 <= box.y1 && box.y1 <= box.y2 && box.y2 <= h,
                   "CutMix: box x [", box.x1, ", ", box.x2, ") y [", box.y1, ", ", box.y2,
                   ") is not inside the image of ", h, "x", w);
  Tensor soft = soft_targets(batch.target, num_classes_, label_smoothing_, "CutMix");
  std::vector<float> m(static_cast<size_t>(h * w), 0.0f);
  for (int64_t y = box.y1; y < box.y2; ++y)
    for (int64_t x = box.x1; x < box.x2; ++x) m[static_cast<size_t>(y * w + x)] = 1.0f;
  Tensor inside = tensor(m, {h, w}, TensorOptions(kFloat32)).to(batch.data.device()).gt(0.5);
  const double area = static_cast<double>((box.x2 - box.x1) * (box.y2 - box.y1));
  const double lambda = 1.0 - area / static_cast<double>(h * w);
  return {where(inside, roll_one(batch.data), batch.data), lerp_rolled(soft, lambda)};
}

Batch CutMix::operator()(const Batch& batch, Generator* generator) const {
  check_batch("CutMix", batch, 4);
  SEEK_CHECK_SHAPE(batch.data.dim() == 4, "CutMix: expected data [B, C, H, W], got ", shape_str(batch.data.sizes()));
  const int64_t h = batch.data.size(2), w = batch.data.size(3);
  SEEK_CHECK_SHAPE(h > 0 && w > 0, "CutMix: empty image ", shape_str(batch.data.sizes()));
  const double lambda = sample_beta(alpha_, alpha_, generator);
  const int64_t cx = randint(0, w, {1}, TensorOptions(kInt64), generator).item<int64_t>();
  const int64_t cy = randint(0, h, {1}, TensorOptions(kInt64), generator).item<int64_t>();
  return mix(batch, box(h, w, lambda, cx, cy));
}

RandomMixUpCutMix::RandomMixUpCutMix(double mixup_alpha, double cutmix_alpha, int64_t num_classes, double switch_prob,
                                     double prob, double label_smoothing)
    : mixup_(mixup_alpha, num_classes, label_smoothing),
      cutmix_(cutmix_alpha, num_classes, label_smoothing),
      num_classes_(num_classes),
      switch_prob_(switch_prob),
      prob_(prob),
      label_smoothing_(label_smoothing) {
  SEEK_CHECK_VALUE(switch_prob >= 0.0 && switch_prob <= 1.0, "RandomMixUpCutMix: switch_prob must be in [0, 1], got ",
                   switch_prob);
  SEEK_CHECK_VALUE(prob >= 0.0 && prob <= 1.0, "RandomMixUpCutMix: prob must be in [0, 1], got ", prob);
}

Batch RandomMixUpCutMix::operator()(const Batch& batch, Generator* generator) const {
  check_batch("RandomMixUpCutMix", batch, 1);
  auto u = to_vector<double>(rand({2}, TensorOptions(kFloat64), generator));
  if (u[0] >= prob_)
    return {batch.data, soft_targets(batch.target, num_classes_, label_smoothing_, "RandomMixUpCutMix")};
  return u[1] < switch_prob_ ? cutmix_(batch, generator) : mixup_(batch, generator);
}

IndexedCollateFn collate_with_transform(BatchTransform transform, uint64_t seed, CollateFn collate) {
  SEEK_CHECK_VALUE(static_cast<bool>(transform), "collate_with_transform: transform is empty");
  SEEK_CHECK_VALUE(static_cast<bool>(collate), "collate_with_transform: collate function is empty");
  return [transform = std::move(transform), collate = std::move(collate), seed](const std::vector<Example>& examples,
                                                                                const BatchInfo& info) {
    constexpr uint64_t kLimit = uint64_t{1} << 24, kBlocks = uint64_t{1} << 16;
    SEEK_CHECK_VALUE(info.epoch < kLimit && info.batch < kLimit, "collate_with_transform: epoch ", info.epoch,
                     " / batch ", info.batch, " is past the 2^24 this stream layout supports");
    Batch batch = collate(examples);
    const uint64_t start = (info.epoch << 40) + (static_cast<uint64_t>(info.batch) << 16);
    Generator gen(seed);
    gen.set_offset(start);
    Batch out = transform(batch, &gen);
    const uint64_t used = gen.offset() - start;
    SEEK_CHECK(used <= kBlocks, "collate_with_transform: the transform drew ", used,
               " random blocks for one batch, more than the 2^16 reserved per batch");
    return out;
  };
}

}  // namespace seek::data
