#pragma once
// IDX files (the MNIST format) and the MNIST / Fashion-MNIST dataset.
//
// An IDX file is: a 4-byte big-endian magic 0x000008TD (T = 0x08: unsigned
// bytes, D = number of dimensions), D big-endian uint32 dimension sizes, then
// the data in row-major order. Files may be raw or gzip-compressed (both are
// read through zlib's gzread, which passes raw files through unchanged).
#include <string>

#include "seek/core/tensor.h"
#include "seek/data/dataset.h"

namespace seek::data {

// Images: magic 0x00000803, dims [N, rows, cols] -> uint8 tensor [N, rows, cols].
Tensor read_idx_images(const std::string& path);
// Labels: magic 0x00000801, dims [N] -> int64 tensor [N].
Tensor read_idx_labels(const std::string& path);

// MNIST-layout dataset from `root`: train-images-idx3-ubyte[.gz] and
// train-labels-idx1-ubyte[.gz] (t10k-* when train is false); the uncompressed
// name is used when it exists, else the .gz one. Works for MNIST and
// Fashion-MNIST. get(i) gives float32 images [1, rows, cols] scaled to [0, 1]
// and int64 0-D labels. Missing/corrupt files or an image/label count mismatch
// throw IOError naming the file.
class MNIST : public Dataset {
 public:
  explicit MNIST(const std::string& root, bool train = true);
  size_t size() const override;
  Example get(size_t index) const override;
  const Tensor& images() const { return images_; }  // uint8 [N, rows, cols]
  const Tensor& labels() const { return labels_; }  // int64 [N]

 private:
  Tensor images_, labels_;
};

}  // namespace seek::data
