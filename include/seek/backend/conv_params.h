#pragma once
// Parameters of the conv and pool kernel families (see backend.h).
#include <array>
#include <cstdint>

namespace seek {

// A (height, width) pair that a single int also converts to, like torch's
// `int or tuple` arguments: conv2d(x, w, b, 2) or conv2d(x, w, b, {2, 1}).
// Default-constructed it is "unset" (-1, -1), used for a pooling stride that
// defaults to the kernel size.
struct Int2 {
  int64_t h = -1, w = -1;
  Int2() = default;
  Int2(int64_t v) : h(v), w(v) {}  // NOLINT(google-explicit-constructor): int or pair, like torch
  Int2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
  bool unset() const { return h == -1 && w == -1; }
  std::array<int64_t, 2> arr() const { return {h, w}; }
};

struct Conv2dParams {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};

struct PoolParams {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg pool only
};

}  // namespace seek
