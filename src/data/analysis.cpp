// Dataset analysis: class distribution, size / pixel statistics, content hash, report.
#include "seek/data/analysis.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "seek/core/error.h"
#include "seek/ops/creation.h"

namespace seek::data {
namespace {

constexpr uint64_t kFnv1a64Prime = 0x100000001b3ull;

// Feeds tensors into FNV-1a 64 in the canonical byte stream of content_hash.
class ContentHasher {
 public:
  void add_u64(uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    state_ = fnv1a64(b, 8, state_);
  }

  void add_tensor(const Tensor& t) {
    const std::string name = dtype_name(t.dtype());
    add_u64(name.size());
    state_ = fnv1a64(name.data(), name.size(), state_);
    add_u64(static_cast<uint64_t>(t.dim()));
    for (int64_t s : t.sizes()) add_u64(static_cast<uint64_t>(s));
    if (t.numel() == 0) return;
    Tensor c = t.cpu().contiguous();
    const auto* bytes = static_cast<const unsigned char*>(c.data_ptr());
    const size_t elem = c.element_size();
    if constexpr (std::endian::native == std::endian::little) {
      state_ = fnv1a64(bytes, c.nbytes(), state_);
    } else {
      // Reverse each element's bytes so that big-endian hosts hash the same stream.
      unsigned char tmp[16];
      for (size_t off = 0; off < c.nbytes(); off += elem) {
        for (size_t k = 0; k < elem; ++k) tmp[k] = bytes[off + elem - 1 - k];
        state_ = fnv1a64(tmp, elem, state_);
      }
    }
  }

  uint64_t state() const { return state_; }

 private:
  uint64_t state_ = kFnv1a64Offset;
};

bool is_integer_dtype(DType d) { return d == kInt64 || d == kInt32 || d == kInt8 || d == kInt16 || d == kUInt8; }

// Running sums of one channel over the dataset.
struct ChannelAccumulator {
  double sum = 0, sumsq = 0;
  int64_t count = 0;
  ChannelStats stats;
  bool seen = false;
};

std::string fmt(double x, int precision = 4) {
  if (std::isinf(x)) return "inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, x);
  return buf;
}

std::string range_text(const RangeStats& r, int precision) {
  return fmt(r.min, precision) + " .. " + fmt(r.max, precision) + " (mean " + fmt(r.mean, precision) + ")";
}

}  // namespace

uint64_t fnv1a64(const void* data, size_t size, uint64_t state) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    state ^= p[i];
    state *= kFnv1a64Prime;
  }
  return state;
}

uint64_t content_hash(const Dataset& dataset) {
  ContentHasher h;
  const size_t n = dataset.size();
  for (size_t i = 0; i < n; ++i) {
    Example ex = dataset.get(i);
    h.add_tensor(ex.data);
    h.add_tensor(ex.target);
  }
  h.add_u64(n);
  return h.state();
}

void RangeStats::add(double x) {
  if (count == 0) {
    min = max = x;
  } else {
    min = std::min(min, x);
    max = std::max(max, x);
  }
  ++count;
  mean += (x - mean) / static_cast<double>(count);
}

DatasetAnalysis analyze(const Dataset& dataset, const AnalysisOptions& options) {
  SEEK_CHECK_VALUE(options.num_classes >= 0, "analyze: num_classes must be >= 0, got ", options.num_classes);
  DatasetAnalysis a;
  a.num_examples = static_cast<int64_t>(dataset.size());
  a.class_names = options.class_names;
  ContentHasher hasher;
  std::vector<int64_t> targets;
  bool class_targets = true;
  std::vector<ChannelAccumulator> acc;

  for (size_t i = 0; i < dataset.size(); ++i) {
    Example ex = dataset.get(i);
    hasher.add_tensor(ex.data);
    hasher.add_tensor(ex.target);

    if (class_targets && ex.target.defined() && ex.target.numel() == 1 && is_integer_dtype(ex.target.dtype())) {
      const auto t = ex.target.item<int64_t>();
      SEEK_CHECK_VALUE(t >= 0, "analyze: example ", i, " has target ", t, "; class targets must be >= 0");
      SEEK_CHECK_VALUE(options.num_classes == 0 || t < options.num_classes, "analyze: example ", i, " has target ", t,
                       ", not below num_classes ", options.num_classes);
      targets.push_back(t);
    } else {
      class_targets = false;
    }

    const Tensor& d = ex.data;
    if (!d.defined() || (d.dim() != 2 && d.dim() != 3)) {
      ++a.non_image_examples;
      continue;
    }
    const int64_t c = d.dim() == 3 ? d.size(0) : 1;
    const int64_t h = d.size(-2), w = d.size(-1);
    a.channels.add(static_cast<double>(c));
    a.height.add(static_cast<double>(h));
    a.width.add(static_cast<double>(w));
    if (!options.pixel_stats || c * h * w == 0) continue;

    // Per-channel sums, sums of squares, minima and maxima of this image (float64).
    Tensor x = d.detach().to(kFloat64).reshape({c, h * w});
    const auto sums = to_vector<double>(x.sum(1));
    const auto sumsq = to_vector<double>(x.square().sum(1));
    const auto mins = to_vector<double>(x.amin({1}));
    const auto maxs = to_vector<double>(x.amax({1}));
    if (static_cast<int64_t>(acc.size()) < c) acc.resize(static_cast<size_t>(c));
    const auto n = static_cast<double>(h * w);
    for (int64_t k = 0; k < c; ++k) {
      auto& ch = acc[static_cast<size_t>(k)];
      ch.sum += sums[k];
      ch.sumsq += sumsq[k];
      ch.count += h * w;
      const double mean = sums[k] / n;
      ch.stats.image_mean.add(mean);
      ch.stats.image_std.add(std::sqrt(std::max(0.0, sumsq[k] / n - mean * mean)));
      ch.stats.min = ch.seen ? std::min(ch.stats.min, mins[k]) : mins[k];
      ch.stats.max = ch.seen ? std::max(ch.stats.max, maxs[k]) : maxs[k];
      ch.seen = true;
    }
  }
  hasher.add_u64(dataset.size());
  a.hash = hasher.state();

  for (auto& ch : acc) {
    const auto n = static_cast<double>(ch.count);
    ch.stats.mean = ch.sum / n;
    ch.stats.std = std::sqrt(std::max(0.0, ch.sumsq / n - ch.stats.mean * ch.stats.mean));
    a.pixels.push_back(ch.stats);
  }

  a.has_classes = class_targets && !targets.empty();
  if (a.has_classes) {
    const int64_t k =
        options.num_classes > 0 ? options.num_classes : *std::max_element(targets.begin(), targets.end()) + 1;
    auto& cd = a.classes;
    cd.counts.assign(static_cast<size_t>(k), 0);
    for (int64_t t : targets) ++cd.counts[static_cast<size_t>(t)];
    const auto total = static_cast<double>(targets.size());
    for (int64_t cnt : cd.counts) {
      const double p = static_cast<double>(cnt) / total;
      cd.fractions.push_back(p);
      if (p > 0) cd.entropy -= p * std::log(p);
    }
    const auto [lo, hi] = std::minmax_element(cd.counts.begin(), cd.counts.end());
    cd.imbalance_ratio =
        *lo == 0 ? std::numeric_limits<double>::infinity() : static_cast<double>(*hi) / static_cast<double>(*lo);
    cd.balance = k == 1 ? 1.0 : cd.entropy / std::log(static_cast<double>(k));
  }
  return a;
}

std::string DatasetAnalysis::hash_hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

std::string DatasetAnalysis::report() const {
  std::ostringstream os;
  os << "examples: " << num_examples << "\n";
  os << "content hash (FNV-1a 64): " << hash_hex() << "\n";
  if (has_classes) {
    const auto k = classes.counts.size();
    os << "classes: " << k << "  balance (entropy / log " << k << "): " << fmt(classes.balance)
       << "  imbalance ratio (max/min count): " << fmt(classes.imbalance_ratio, 2) << "\n";
    size_t name_width = 4;
    for (size_t c = 0; c < k && c < class_names.size(); ++c) name_width = std::max(name_width, class_names[c].size());
    char line[256];
    std::snprintf(line, sizeof line, "  %5s  %-*s  %10s  %8s\n", "class", static_cast<int>(name_width), "name", "count",
                  "fraction");
    os << line;
    for (size_t c = 0; c < k; ++c) {
      const std::string name = c < class_names.size() ? class_names[c] : "-";
      std::snprintf(line, sizeof line, "  %5zu  %-*s  %10lld  %7.2f%%\n", c, static_cast<int>(name_width), name.c_str(),
                    static_cast<long long>(classes.counts[c]), 100.0 * classes.fractions[c]);
      os << line;
    }
  } else {
    os << "classes: none (targets are not single integers)\n";
  }
  if (channels.count > 0) {
    os << "image size (" << channels.count << " images):\n";
    os << "  channels " << range_text(channels, 2) << "\n";
    os << "  height   " << range_text(height, 2) << "\n";
    os << "  width    " << range_text(width, 2) << "\n";
  }
  if (non_image_examples > 0) os << "examples that are not [C, H, W] or [H, W]: " << non_image_examples << "\n";
  for (size_t c = 0; c < pixels.size(); ++c) {
    const auto& p = pixels[c];
    os << "channel " << c << ": mean " << fmt(p.mean) << "  std " << fmt(p.std) << "  min " << fmt(p.min) << "  max "
       << fmt(p.max) << "\n";
    os << "  per-image mean " << range_text(p.image_mean, 4) << "\n";
    os << "  per-image std  " << range_text(p.image_std, 4) << "\n";
  }
  return os.str();
}

}  // namespace seek::data
