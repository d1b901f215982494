#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "seek/core/dtype.h"
#include "seek/core/storage.h"

namespace seek {

struct AutogradMeta;  // seek/core/autograd_meta.h

// The data behind a Tensor handle: a strided view of a Storage plus a nullable
// autograd record. Views share the storage and the version counter of their base.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;  // in elements
  int64_t offset = 0;            // in elements
  DType dtype = kFloat32;
  // Shared by a tensor and all views of it; bumped by every in-place write.
  std::shared_ptr<std::atomic<uint64_t>> version = std::make_shared<std::atomic<uint64_t>>(0);
  // Set when this tensor is a view of another tensor (the base owns the data).
  std::shared_ptr<TensorImpl> view_base;
  std::unique_ptr<AutogradMeta> autograd;  // null for tensors autograd never saw

  TensorImpl();
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
};

}  // namespace seek
