// Memory-format stride arithmetic (see seek/core/memory_format.h). The dim orders and tie-breaks follow
// PyTorch 1.13's c10/core/MemoryFormat.h, TensorImpl and TensorIterator so that strides match torch's.
#include "seek/core/memory_format.h"

#include <algorithm>
#include <numeric>

#include "seek/core/error.h"
#include "seek/core/shape_util.h"

namespace seek {

const char* memory_format_name(MemoryFormat f) {
  switch (f) {
    case MemoryFormat::Contiguous: return "contiguous_format";
    case MemoryFormat::ChannelsLast: return "channels_last";
    case MemoryFormat::ChannelsLast3d: return "channels_last_3d";
    case MemoryFormat::Preserve: return "preserve_format";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, MemoryFormat f) { return os << memory_format_name(f); }

namespace {
// Dims from fastest to slowest for a channels-last format of rank n (4: C W H N, 5: C W H D N).
std::vector<int64_t> channels_last_order(size_t n) {
  std::vector<int64_t> order{1};
  for (int64_t d = static_cast<int64_t>(n) - 1; d >= 2; --d) order.push_back(d);
  order.push_back(0);
  return order;
}

size_t rank_of(MemoryFormat f) { return f == MemoryFormat::ChannelsLast ? 4 : 5; }
}  // namespace

std::vector<int64_t> memory_format_strides(const std::vector<int64_t>& sizes, MemoryFormat f, const char* op) {
  SEEK_CHECK(f != MemoryFormat::Preserve, op, ": preserve_format names no layout of its own here");
  if (f == MemoryFormat::Contiguous) return contiguous_strides(sizes);
  SEEK_CHECK(sizes.size() == rank_of(f), op, ": required rank ", rank_of(f), " tensor to use ", memory_format_name(f),
             " format, got a ", sizes.size(), "-D tensor of shape ", shape_str(sizes));
  std::vector<int64_t> strides(sizes.size());
  int64_t s = 1;
  for (int64_t d : channels_last_order(sizes.size())) {
    strides[d] = s;
    s = checked_mul(s, std::max<int64_t>(sizes[d], 1), op);
  }
  return strides;
}

bool is_contiguous_as(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides, MemoryFormat f) {
  SEEK_CHECK(f != MemoryFormat::Preserve, "is_contiguous: preserve_format is not a memory format to check against");
  std::vector<int64_t> order;
  if (f == MemoryFormat::Contiguous) {
    for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) order.push_back(d);
    if (shape_numel(sizes) == 0) return true;
  } else {
    if (sizes.size() != rank_of(f)) return false;
    order = channels_last_order(sizes.size());
  }
  int64_t expected = 1;
  for (int64_t d : order) {
    if (sizes[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

namespace {
// PyTorch's is_channels_last_strides_2d/3d: the strides order the dims as the format does, with the
// fallbacks to NCHW for ambiguous size-1 cases.
bool strides_like_channels_last(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  if (strides[1] == 0) return false;
  int64_t min = 0;
  for (int64_t d : channels_last_order(sizes.size())) {
    if (sizes[d] == 0) return false;
    if (strides[d] < min) return false;
    if (d == 0 && min == strides[1]) return false;  // N111 and N11W-sliced tensors stay NCHW
    min = strides[d];
    if (sizes[d] > 1) min *= sizes[d];
  }
  return true;
}
}  // namespace

MemoryFormat suggest_memory_format(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  if (sizes.size() == 4 && strides_like_channels_last(sizes, strides)) return MemoryFormat::ChannelsLast;
  if (sizes.size() == 5 && strides_like_channels_last(sizes, strides)) return MemoryFormat::ChannelsLast3d;
  return MemoryFormat::Contiguous;
}

bool is_non_overlapping_and_dense(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  std::vector<int64_t> perm(sizes.size());
  std::iota(perm.begin(), perm.end(), 0);
  // size 0/1 dims last; the rest by stride
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    bool sa = sizes[a] < 2, sb = sizes[b] < 2;
    if (sa != sb) return sb;
    return !sa && strides[a] < strides[b];
  });
  int64_t require = 1;
  for (int64_t d : perm) {
    if (sizes[d] < 2) return true;
    if (strides[d] != require) return false;
    require *= sizes[d];
  }
  return true;
}

std::vector<int64_t> dense_strides_like(const std::vector<int64_t>& sizes,
                                        const std::vector<const std::vector<int64_t>*>& operand_strides) {
  const int64_t n = static_cast<int64_t>(sizes.size());
  // 1: dim0 should move behind dim1 (it is slower), -1: keep, 0: ambiguous
  auto should_swap = [&](int64_t d0, int64_t d1) {
    for (const std::vector<int64_t>* s : operand_strides) {
      int64_t s0 = (*s)[d0], s1 = (*s)[d1];
      if (s0 == 0 || s1 == 0) continue;
      if (s0 < s1) return -1;
      if (s0 > s1) return 1;
      if (sizes[d0] > sizes[d1]) return 1;
    }
    return 0;
  };
  std::vector<int64_t> perm(n);  // fastest first; starts as row-major
  for (int64_t i = 0; i < n; ++i) perm[i] = n - 1 - i;
  // insertion sort that tolerates ambiguous comparisons (as TensorIterator::reorder_dimensions)
  for (int64_t i = 1; i < n; ++i) {
    int64_t d1 = i;
    for (int64_t d0 = i - 1; d0 >= 0; --d0) {
      int c = should_swap(perm[d0], perm[d1]);
      if (c > 0) {
        std::swap(perm[d0], perm[d1]);
        d1 = d0;
      } else if (c < 0) {
        break;
      }
    }
  }
  std::vector<int64_t> out(n);
  int64_t s = 1;
  for (int64_t d : perm) {
    out[d] = s;
    if (sizes[d] > 1) s *= sizes[d];
  }
  return out;
}

}  // namespace seek
