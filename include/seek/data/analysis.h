#pragma once
// Dataset analysis: class distribution, example size and pixel statistics, and a
// content hash that identifies the exact data (same data -> same hash on any
// machine), plus a printable report.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "seek/data/dataset.h"

namespace seek::data {

// 64-bit FNV-1a over `size` bytes, continuing from `state` (the offset basis
// 0xcbf29ce484222325 for a fresh hash): for each byte b, state ^= b, then
// state *= 0x100000001b3 (mod 2^64).
constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ull;
uint64_t fnv1a64(const void* data, size_t size, uint64_t state = kFnv1a64Offset);

// The content hash of a dataset: FNV-1a 64 (above) over this byte stream, with
// every integer written as 8 little-endian bytes:
//   for each example i = 0 .. n-1, for its data then its target tensor:
//     the dtype name ("float32", "int64", ...) as its length then its bytes,
//     the number of dimensions, each size (int64),
//     the elements in row-major order, each in little-endian byte order;
//   then n.
// Device and strides do not enter; the values, dtype, shape and order do.
uint64_t content_hash(const Dataset& dataset);

struct AnalysisOptions {
  // Number of classes; 0: the largest target + 1. Targets must be below it.
  int64_t num_classes = 0;
  // Class names for the report (may be empty or shorter than the class count).
  std::vector<std::string> class_names;
  // Per-channel pixel statistics (the slowest part); size and class statistics
  // and the hash are always computed.
  bool pixel_stats = true;
};

// min / max / mean of one quantity over the examples it applies to.
struct RangeStats {
  double min = 0, max = 0, mean = 0;
  int64_t count = 0;
  void add(double x);
};

struct ClassDistribution {
  std::vector<int64_t> counts;    // examples per class index
  std::vector<double> fractions;  // counts / number of examples
  // Largest count / smallest count (infinity when a class has no example; 1 for
  // one class).
  double imbalance_ratio = 0;
  // Shannon entropy of the fractions in nats, and entropy / log(num classes):
  // 1 for perfectly balanced classes, towards 0 for one dominant class (1 when
  // there is a single class).
  double entropy = 0;
  double balance = 0;
};

struct ChannelStats {
  // Over every pixel of the channel in the whole dataset (population std): the
  // numbers transforms::Normalize wants.
  double mean = 0, std = 0;
  // Of each example's own mean and (population) std of the channel.
  RangeStats image_mean, image_std;
  double min = 0, max = 0;  // smallest and largest pixel value
};

struct DatasetAnalysis {
  int64_t num_examples = 0;
  // Class statistics apply when every target is one integer (0-D or one
  // element); has_classes is false otherwise (e.g. regression targets).
  bool has_classes = false;
  ClassDistribution classes;
  std::vector<std::string> class_names;
  // Examples whose data is [C, H, W] or [H, W] (C = 1) are images; the others
  // are counted in non_image_examples and skip size and pixel statistics.
  RangeStats channels, height, width;
  int64_t non_image_examples = 0;
  std::vector<ChannelStats> pixels;  // per channel index (empty without pixel_stats)
  uint64_t hash = 0;                 // content_hash of the dataset

  std::string hash_hex() const;  // 16 lower-case hex digits
  // A human-readable multi-line summary of all of the above.
  std::string report() const;
};

// Reads every example once (in index order). Throws ValueError when a class
// target is negative or not below options.num_classes (naming the example).
DatasetAnalysis analyze(const Dataset& dataset, const AnalysisOptions& options = {});

}  // namespace seek::data
