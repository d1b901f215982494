#pragma once
// The CIFAR-10 dataset from its binary batches (the "CIFAR-10 binary version").
//
// A batch file is a sequence of 3073-byte records: one label byte (0..9), then
// the 32x32 image as 1024 red, 1024 green and 1024 blue bytes, each plane in
// row-major order. The training split is data_batch_1.bin .. data_batch_5.bin,
// the test split test_batch.bin; batches.meta.txt lists the class names, one a
// line.
#include <string>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/data/dataset.h"

namespace seek::data {

// Reads one batch file: {uint8 images [N, 3, 32, 32], int64 labels [N]}.
// Throws IOError naming the file when it cannot be opened, its size is not a
// multiple of 3073 bytes, or a label is greater than 9.
std::pair<Tensor, Tensor> read_cifar10_batch(const std::string& path);

// CIFAR-10 (torchvision.datasets.CIFAR10 without download) from `root`, which
// holds the .bin files itself or in its sub-folder cifar-10-batches-bin.
// get(i) gives float32 images [3, 32, 32] scaled to [0, 1] and int64 0-D labels.
// Missing or malformed files throw IOError naming the file.
class CIFAR10 : public Dataset {
 public:
  explicit CIFAR10(const std::string& root, bool train = true);
  size_t size() const override;
  Example get(size_t index) const override;
  const Tensor& images() const { return images_; }  // uint8 [N, 3, 32, 32]
  const Tensor& labels() const { return labels_; }  // int64 [N]
  // The 10 class names: from batches.meta.txt when that file is present, else
  // the standard names ("airplane", "automobile", ..., "truck").
  const std::vector<std::string>& classes() const { return classes_; }
  // The folder the batch files were read from.
  const std::string& folder() const { return folder_; }

 private:
  Tensor images_, labels_;
  std::vector<std::string> classes_;
  std::string folder_;
};

}  // namespace seek::data
