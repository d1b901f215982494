#pragma once
// The conv algorithm cache of kernels/conv_cudnn.cu as plain C++ (no cuDNN types), so that the
// simulator build compiles and tests it. A conv's algorithm depends on everything in
// ConvAlgoKey: the shapes and strides of input, weight and output (so NCHW and channels_last
// are different entries), dtype, memory layout, stride/padding/dilation/groups, the device, and
// the two flags that change which algorithms are allowed (backends::cudnn::deterministic and
// allow_tf32), so flipping a flag never reuses a choice made under the other setting. Each key
// holds one choice per pass (forward, backward data, backward filter). A choice remembers
// whether it was timed (cudnnFind*, benchmark mode) or ranked by heuristics (cudnnGet*_v7):
// with backends::cudnn::benchmark on, a heuristic choice is re-made by timing once; a timed
// choice serves either mode, as in PyTorch.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "seek/backend/conv_params.h"
#include "seek/core/tensor.h"

namespace seek::cuda {

enum class ConvPass { Forward, BackwardData, BackwardFilter };

struct ConvAlgoKey {
  int device = 0;
  int dtype = 0;
  int layout = 0;  // 0: NCHW (or no channel stride 1), 1: channels_last (the input's channel stride is 1)
  std::array<int64_t, 4> x_sizes{}, x_strides{}, w_sizes{}, w_strides{}, y_sizes{}, y_strides{};
  std::array<int64_t, 7> params{};  // stride h, w; padding h, w; dilation h, w; groups
  bool deterministic = false;
  bool allow_tf32 = false;
  bool operator==(const ConvAlgoKey&) const = default;
};
struct ConvAlgoKeyHash {
  size_t operator()(const ConvAlgoKey& k) const;
};

// The key of a conv of input x (or, in the backward without x, its gradient: same geometry),
// weight w and output y (or its gradient), all 4-D on one device, under the current flags.
ConvAlgoKey make_conv_algo_key(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dParams& p);

// One algorithm as cuDNN reports it (cudnnFind* or cudnnGet*_v7), in plain numbers.
struct ConvAlgoPerf {
  int algo = -1;
  bool ok = false;  // status CUDNN_STATUS_SUCCESS (and a math type the flags allow)
  bool deterministic = false;
  int math_type = 0;  // cudnnMathType_t
  size_t workspace = 0;
};
struct ConvAlgoChoice {
  int algo = -1;
  int math_type = 0;
  size_t workspace = 0;
  bool benchmarked = false;  // timed by cudnnFind* rather than ranked by heuristics
};

// The first algorithm of `ranked` (cuDNN's order) that ran, is deterministic where that is
// required and needs at most max_workspace bytes; nullopt when none is.
std::optional<ConvAlgoChoice> pick_conv_algo(const std::vector<ConvAlgoPerf>& ranked, bool deterministic,
                                             size_t max_workspace, bool benchmarked);

// Thread-safe map from (key, pass) to the choice.
class ConvAlgoCache {
 public:
  // The choice for (key, pass) usable now: a timed one always, a heuristic one only when !benchmark.
  std::optional<ConvAlgoChoice> find(const ConvAlgoKey& key, ConvPass pass, bool benchmark) const;
  void store(const ConvAlgoKey& key, ConvPass pass, const ConvAlgoChoice& choice);
  size_t size() const;  // keys held
  void clear();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<ConvAlgoKey, std::array<std::optional<ConvAlgoChoice>, 3>, ConvAlgoKeyHash> map_;
};
// The process's cache (what kernels/conv_cudnn.cu uses).
ConvAlgoCache& conv_algo_cache();

// The algorithm for (key, pass): the cached one when usable under backends::cudnn::benchmark,
// else query(benchmark) ranks the candidates (cudnnFind* when benchmark, cudnnGet*_v7 otherwise),
// pick_conv_algo chooses (deterministic as key.deterministic) and the cache keeps it. Throws
// Error when no candidate qualifies (naming the deterministic flag when it is the reason).
ConvAlgoChoice choose_conv_algo(ConvAlgoCache& cache, const ConvAlgoKey& key, ConvPass pass,
                                const std::function<std::vector<ConvAlgoPerf>(bool benchmark)>& query,
                                size_t max_workspace = SIZE_MAX);

}  // namespace seek::cuda
