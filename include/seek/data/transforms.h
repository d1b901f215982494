#pragma once
// Tensor transforms for images [C, H, W] (torchvision.transforms style). Every
// transform is callable as t(x, generator); random ones draw from `generator`
// (nullptr: the CPU default generator), so a seeded Generator reproduces them.
//
// The geometric and colour transforms below Compose (rotate, resized_crop, the
// adjust_* family and their random classes) are CPU data-pipeline code: they
// take a floating CPU tensor (any strides; DeviceError / DTypeError otherwise),
// compute in float64 and return a new contiguous tensor of the input's dtype.
#include <functional>
#include <utility>
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

// ---------------------------------------------------------------------------
// Geometric (src/data/transforms_geometric.cpp)
// ---------------------------------------------------------------------------
enum class InterpolationMode { Nearest, Bilinear };

// The image rotated by `angle` degrees counter-clockwise about its centre, same
// size (torchvision.transforms.functional.rotate with expand=false, center=None).
// Inverse mapping: output pixel (row i, col j) has centre offsets x = j - (W-1)/2,
// y = i - (H-1)/2 and samples the input at column cos(a) x - sin(a) y + (W-1)/2,
// row sin(a) x + cos(a) y + (H-1)/2 (a = angle in radians; rows grow
// downwards), like grid_sample(align_corners=false, padding_mode="zeros"):
// Nearest takes the pixel at the coordinates rounded half-to-even, Bilinear
// blends the four neighbours, neighbours outside the image counting as 0.
// `fill` empty (torchvision's fill=None): that is the result. Otherwise (one
// value, or one per channel) torchvision's mask rule: with m the same sampling
// of an all-ones image, Bilinear gives out * m + (1 - m) * fill and Nearest
// gives fill where m < 0.5.
Tensor rotate(const Tensor& img, double angle, InterpolationMode interpolation = InterpolationMode::Nearest,
              const std::vector<double>& fill = {});

// img[:, top:top+height, left:left+width] (pixels outside the image are 0, as
// torchvision's crop pads) resized to size = {out_h, out_w} like
// torch.nn.functional.interpolate(align_corners=false, antialias=false):
// Bilinear samples the crop at src = max((dst + 0.5) * in / out - 0.5, 0) per
// axis (the upper neighbour clamped to the last pixel); Nearest takes pixel
// floor(dst * in / out).
Tensor resized_crop(const Tensor& img, int64_t top, int64_t left, int64_t height, int64_t width,
                    std::pair<int64_t, int64_t> size, InterpolationMode interpolation = InterpolationMode::Bilinear);

// Rotates by an angle drawn uniformly from [degrees.first, degrees.second]: one
// f64 rand({1}) draw u, angle = lo + (hi - lo) * u. A single number d means
// [-d, d] (d >= 0). fill: one value or one per channel (torchvision's default 0).
class RandomRotation {
 public:
  explicit RandomRotation(double degrees, InterpolationMode interpolation = InterpolationMode::Nearest,
                          std::vector<double> fill = {0.0});
  RandomRotation(std::pair<double, double> degrees, InterpolationMode interpolation = InterpolationMode::Nearest,
                 std::vector<double> fill = {0.0});
  Tensor operator()(const Tensor& x, Generator* generator = nullptr) const;
  // The angle the next call would draw.
  double get_params(Generator* generator = nullptr) const;

 private:
  std::pair<double, double> degrees_;
  InterpolationMode interpolation_;
  std::vector<double> fill_;
};

struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
  bool operator==(const CropBox& o) const {
    return top == o.top && left == o.left && height == o.height && width == o.width;
  }
};

// A crop of random area and aspect ratio, resized to `size` (torchvision
// RandomResizedCrop). get_params, for an H x W image, up to 10 tries: one f64
// rand({2}) draw u; area = H * W * (scale.lo + (scale.hi - scale.lo) * u[0]),
// r = exp(log(ratio.lo) + (log(ratio.hi) - log(ratio.lo)) * u[1]),
// w = round(sqrt(area * r)), h = round(sqrt(area / r)) (half to even, as
// Python's round); if 0 < w <= W and 0 < h <= H, one more f64 rand({2}) draw v
// gives top = floor(v[0] * (H - h + 1)), left = floor(v[1] * (W - w + 1)).
// After 10 failed tries (no more draws): the centre crop of the whole image,
// narrowed to the nearest allowed ratio when W / H is outside `ratio`.
class RandomResizedCrop {
 public:
  explicit RandomResizedCrop(int64_t size, std::pair<double, double> scale = {0.08, 1.0},
                             std::pair<double, double> ratio = {3.0 / 4.0, 4.0 / 3.0},
                             InterpolationMode interpolation = InterpolationMode::Bilinear);
  RandomResizedCrop(std::pair<int64_t, int64_t> size, std::pair<double, double> scale = {0.08, 1.0},
                    std::pair<double, double> ratio = {3.0 / 4.0, 4.0 / 3.0},
                    InterpolationMode interpolation = InterpolationMode::Bilinear);
  Tensor operator()(const Tensor& x, Generator* generator = nullptr) const;
  static CropBox get_params(int64_t height, int64_t width, std::pair<double, double> scale,
                            std::pair<double, double> ratio, Generator* generator = nullptr);

 private:
  std::pair<int64_t, int64_t> size_;
  std::pair<double, double> scale_, ratio_;
  InterpolationMode interpolation_;
};

// ---------------------------------------------------------------------------
// Colour (src/data/transforms_color.cpp). Images are [C, H, W] with C = 1 or 3
// (ShapeError otherwise) and values in [0, 1]; blends clamp to [0, 1] as
// torchvision does for float images. Grayscale: 0.2989 R + 0.587 G + 0.114 B.
// ---------------------------------------------------------------------------
// [1, H, W] luminance of an RGB image (a 1-channel image is returned as is).
Tensor rgb_to_grayscale(const Tensor& img);
// clamp(factor * img); factor >= 0.
Tensor adjust_brightness(const Tensor& img, double factor);
// clamp(factor * img + (1 - factor) * mean), mean = the mean of the grayscale image.
Tensor adjust_contrast(const Tensor& img, double factor);
// clamp(factor * img + (1 - factor) * grayscale(img)) per pixel; RGB only.
Tensor adjust_saturation(const Tensor& img, double factor);
// Shifts the hue (HSV, hue in [0, 1)) by factor in [-0.5, 0.5], modulo 1; RGB only.
Tensor adjust_hue(const Tensor& img, double factor);

// Randomly changes brightness, contrast, saturation and hue, in a random order
// (torchvision ColorJitter). A number v gives the factor range [max(0, 1 - v),
// 1 + v] for brightness / contrast / saturation (v >= 0) and [-v, v] for hue
// (0 <= v <= 0.5); a pair gives the range itself. A range of exactly {1, 1}
// (hue {0, 0}) disables that adjustment. Draws per call: one randperm(4) (the
// order: 0 brightness, 1 contrast, 2 saturation, 3 hue), then one f64
// rand({4}) u; factor k = lo_k + (hi_k - lo_k) * u[k]. Saturation or hue on a
// 1-channel image is a ValueError.
class ColorJitter {
 public:
  using Range = std::pair<double, double>;
  explicit ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0);
  ColorJitter(Range brightness, Range contrast, Range saturation, Range hue);
  Tensor operator()(const Tensor& x, Generator* generator = nullptr) const;

  struct Params {
    std::vector<int64_t> order;   // a permutation of 0..3
    std::vector<double> factors;  // brightness, contrast, saturation, hue
  };
  Params get_params(Generator* generator = nullptr) const;

 private:
  Range brightness_, contrast_, saturation_, hue_;
};

}  // namespace seek::data::transforms
