#pragma once
// Image files: read_image (PNG, JPEG, BMP, ... decoded by stb_image) and the
// ImageFolder dataset (torchvision.datasets.ImageFolder).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/data/dataset.h"

namespace seek::data {

// Decodes an image file into a float32 [C, H, W] tensor with values in [0, 1]
// (8-bit samples / 255; 16-bit PNGs are reduced to 8 bits by stb_image).
// channels: 1 (grey; colour is converted with stb_image's luma weights
// (77 R + 150 G + 29 B) / 256), 3 (RGB; grey is replicated, alpha dropped), or
// 0 (as stored: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
// Throws ValueError for other channel counts and IOError naming the file and
// stb_image's reason when the file cannot be read or decoded.
Tensor read_image(const std::string& path, int64_t channels = 3);

struct ImageFolderOptions {
  // Channels of every image: 1 or 3 (see read_image).
  int64_t channels = 3;
  // When set, every image is resized to {height, width} with bilinear
  // interpolation (nn::functional::interpolate, align_corners false), so that
  // examples of different sizes stack into one batch.
  std::optional<std::pair<int64_t, int64_t>> size;
  // A class folder with no image file is an error (as in torchvision) unless
  // this is true; the class keeps its index either way.
  bool allow_empty = false;
  // File name extensions (lower case, with the dot) taken as images; others are
  // ignored. Compared case-insensitively.
  std::vector<std::string> extensions = {".png", ".jpg", ".jpeg", ".bmp"};

  ImageFolderOptions& set_channels(int64_t c) {
    channels = c;
    return *this;
  }
  ImageFolderOptions& set_size(int64_t height, int64_t width) {
    size = {{height, width}};
    return *this;
  }
  ImageFolderOptions& set_allow_empty(bool a) {
    allow_empty = a;
    return *this;
  }
};

// One sub-folder of `root` per class: class names are the sub-folder names in
// sorted (byte-wise) order and class i is the i-th name. The samples are the
// image files anywhere below each class folder (sub-folders included), sorted by
// path within each class, classes in order. Images are decoded on every get()
// (get is thread-safe). The target is an int64 0-D tensor.
// Throws IOError when root is not a folder, has no class folder, or (unless
// allow_empty) a class folder holds no image; ValueError for bad options.
class ImageFolder : public Dataset {
 public:
  explicit ImageFolder(const std::string& root, ImageFolderOptions options = {});
  size_t size() const override { return samples_.size(); }
  Example get(size_t index) const override;

  const std::vector<std::string>& classes() const { return classes_; }
  const std::map<std::string, int64_t>& class_to_idx() const { return class_to_idx_; }
  // {path, class index} for every example, in index order.
  const std::vector<std::pair<std::string, int64_t>>& samples() const { return samples_; }
  // The class index of every example.
  std::vector<int64_t> targets() const;
  const ImageFolderOptions& options() const { return options_; }

 private:
  ImageFolderOptions options_;
  std::vector<std::string> classes_;
  std::map<std::string, int64_t> class_to_idx_;
  std::vector<std::pair<std::string, int64_t>> samples_;
};

}  // namespace seek::data
