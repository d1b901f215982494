#pragma once
// Tensor transforms for images [C, H, W] (torchvision.transforms style). Every
// transform is callable as t(x, generator); random ones draw from `generator`
// (nullptr: the CPU default generator), so a seeded Generator reproduces them.
#include <functional>
#include <vector>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"
#include "seek/data/dataset.h"

namespace seek::data::transforms {

// out[c] = (x[c] - mean[c]) / std[c]; mean and std have one value per channel
// (or one value for all channels); std must be non-zero. Floating input only.
class Normalize {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std);
  Tensor operator()(const Tensor& x, Generator* generator = nullptr) const;

 private:
  std::vector<double> mean_, std_;
};

// Zero-pads H and W by `padding` on every side, then takes a height x width crop
// at a random (top, left): one f64 rand({2}) draw u, top = floor(u[0] * (H + 2p -
// height + 1)), left = floor(u[1] * (W + 2p - width + 1)).
class RandomCrop {
 public:
  explicit RandomCrop(int64_t size, int64_t padding = 0);
  RandomCrop(int64_t height, int64_t width, int64_t padding);
  Tensor operator()(const Tensor& x, Generator* generator = nullptr) const;

 private:
  int64_t height_, width_, padding_;
};

// Reverses W with probability p: one bernoulli(p) draw (one block) per call.
class RandomHorizontalFlip {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  Tensor operator()(const Tensor& x, Generator* generator = nullptr) const;

 private:
  double p_;
};

// Applies the transforms in order, all with the same generator.
class Compose {
 public:
  explicit Compose(std::vector<Transform> transforms);
  Tensor operator()(const Tensor& x, Generator* generator = nullptr) const;

 private:
  std::vector<Transform> transforms_;
};

// x reversed along its last dimension (any rank >= 1).
Tensor hflip(const Tensor& x);

}  // namespace seek::data::transforms
