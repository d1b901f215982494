#pragma once
// Multi-tensor launches for the optim family (PyTorch's multi_tensor_apply): the host cuts
// every tensor of a list into chunks of kChunkElements and packs up to kMaxTensors tensors'
// pointers, sizes and per-tensor scalars plus up to kMaxBlocks (block -> tensor slot, chunk)
// pairs into one struct passed by value as a kernel argument, so a whole list costs one launch
// per batch instead of one per tensor. Block b of a launch works on chunk block_chunk[b] of the
// tensor in slot block_tensor[b]. A tensor whose chunks overflow a batch continues in slot 0 of
// the next one. The struct stays well inside the 4 KiB kernel-parameter limit (static_assert).
// Host code plus the struct (tests/cuda count the launches through optim_kernel_launches()).
#include <cstdint>
#include <cstring>
#include <vector>

namespace seek::cuda {

constexpr int kMultiTensorDepth = 5;  // pointer lists per tensor: param, grad, up to three states
constexpr int kMaxTensors = 32;       // tensors per launch
constexpr int kMaxBlocks = 128;       // chunks (= blocks) per launch
constexpr int64_t kChunkElements = 65536;

struct MultiTensorBatch {
  void* ptr[kMultiTensorDepth][kMaxTensors];
  int64_t size[kMaxTensors];
  double extra[kMaxTensors][2];  // per-tensor scalars (Adam's bias corrections)
  uint8_t flag[kMaxTensors];     // per-tensor flag (SGD's fresh momentum buffer)
  uint8_t block_tensor[kMaxBlocks];
  int32_t block_chunk[kMaxBlocks];
  int32_t first_block;  // this launch's first chunk among all chunks of the call (the norm's partials)
};

// The batch plus the largest functor (AdamStep<double>: 9 doubles and 4 flags) and a few more
// arguments must fit CUDA's 4096 bytes of kernel parameters.
static_assert(sizeof(MultiTensorBatch) + 128 <= 4096, "MultiTensorBatch exceeds the kernel-parameter limit");

// Kernel launches made by the optim family since the process started (a test hook).
int64_t optim_kernel_launches();

inline int64_t chunk_count(int64_t n) { return (n + kChunkElements - 1) / kChunkElements; }

// Walks tensors `items` (indices into the caller's lists, with their sizes `numel`): fill(batch,
// slot, item) stores a tensor's pointers and scalars in `slot`; go(batch, blocks) launches a full
// batch. Empty tensors are skipped. Returns the number of chunks (blocks) over all launches.
template <typename Fill, typename Go>
int64_t multi_tensor_apply(const std::vector<size_t>& items, const std::vector<int64_t>& numel, Fill fill, Go go,
                           int64_t first_block = 0) {
  MultiTensorBatch b;
  std::memset(&b, 0, sizeof(b));
  b.first_block = static_cast<int32_t>(first_block);
  int slot = 0, blocks = 0;
  int64_t total = 0;
  for (size_t k = 0; k < items.size(); ++k) {
    const int64_t n = numel[k];
    if (n == 0) continue;
    fill(b, slot, items[k]);
    b.size[slot] = n;
    const int64_t chunks = chunk_count(n);
    for (int64_t c = 0; c < chunks; ++c) {
      b.block_tensor[blocks] = static_cast<uint8_t>(slot);
      b.block_chunk[blocks] = static_cast<int32_t>(c);
      ++blocks;
      const bool last = c + 1 == chunks;
      if (blocks == kMaxBlocks || (last && slot + 1 == kMaxTensors)) {
        go(b, blocks);
        total += blocks;
        b.first_block = static_cast<int32_t>(first_block + total);
        blocks = 0;
        if (!last) {  // the tensor goes on in slot 0 of the next batch
          for (int d = 0; d < kMultiTensorDepth; ++d) b.ptr[d][0] = b.ptr[d][slot];
          b.size[0] = b.size[slot];
          b.extra[0][0] = b.extra[slot][0];
          b.extra[0][1] = b.extra[slot][1];
          b.flag[0] = b.flag[slot];
          slot = 0;
        } else {
          slot = -1;
        }
      }
    }
    ++slot;
  }
  if (blocks > 0) {
    go(b, blocks);
    total += blocks;
  }
  return total;
}

}  // namespace seek::cuda
