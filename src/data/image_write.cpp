// write_image: [C, H, W] tensors (or interleaved bytes) to PNG / JPEG / BMP with
// stb_image_write. The tensor is brought to a contiguous CPU uint8 or float32 copy
// and interleaved into [H, W, C] bytes in one pass, which is what stb encodes.
#include "seek/data/image_write.h"

#include <stb_image_write.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <vector>

#include "seek/core/error.h"

namespace seek::data {
namespace {

enum class Format { Png, Jpeg, Bmp };

Format format_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".png") return Format::Png;
  if (ext == ".jpg" || ext == ".jpeg") return Format::Jpeg;
  if (ext == ".bmp") return Format::Bmp;
  SEEK_CHECK_VALUE(false, "write_image: '", path, "' has no supported extension (.png, .jpg, .jpeg or .bmp)");
  return Format::Png;
}

}  // namespace

void write_image(const std::string& path, const uint8_t* pixels, int64_t height, int64_t width, int64_t channels) {
  const Format format = format_of(path);
  SEEK_CHECK_VALUE(channels == 1 || channels == 3 || channels == 4, "write_image: '", path,
                   "': channels must be 1, 3 or 4, got ", channels);
  SEEK_CHECK_VALUE(height > 0 && width > 0 && height <= (1 << 24) && width <= (1 << 24), "write_image: '", path,
                   "': bad image size ", height, "x", width);
  SEEK_CHECK_VALUE(pixels != nullptr, "write_image: '", path, "': null pixel buffer");
  const int w = static_cast<int>(width), h = static_cast<int>(height), c = static_cast<int>(channels);
  int ok = 0;
  switch (format) {
    case Format::Png: ok = stbi_write_png(path.c_str(), w, h, c, pixels, w * c); break;
    case Format::Jpeg: ok = stbi_write_jpg(path.c_str(), w, h, c, pixels, 95); break;
    case Format::Bmp: ok = stbi_write_bmp(path.c_str(), w, h, c, pixels); break;
  }
  if (ok == 0) {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    const bool has_folder = parent.empty() || std::filesystem::is_directory(parent, ec);
    SEEK_CHECK_T(IOError, false, "write_image: cannot write '", path, "'",
                 has_folder ? "" : ": its folder does not exist");
  }
}

void write_image(const std::string& path, const Tensor& image) {
  format_of(path);  // a bad extension is reported before any work
  SEEK_CHECK_VALUE(image.dim() == 3, "write_image: '", path, "': expected a [C, H, W] image, got ", image.dim(),
                   " dimensions");
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  SEEK_CHECK_VALUE(c == 1 || c == 3 || c == 4, "write_image: '", path, "': channels must be 1, 3 or 4, got ", c);
  SEEK_CHECK_VALUE(image.dtype() == kUInt8 || image.is_floating_point(), "write_image: '", path,
                   "': expected a uint8 or floating-point image, got ", dtype_name(image.dtype()));
  const int64_t plane = h * w;
  std::vector<uint8_t> hwc(static_cast<size_t>(plane * c));
  if (image.dtype() == kUInt8) {
    const Tensor src = image.cpu().contiguous();
    const uint8_t* p = src.data_ptr<uint8_t>();
    for (int64_t k = 0; k < c; ++k)
      for (int64_t i = 0; i < plane; ++i) hwc[i * c + k] = p[k * plane + i];
  } else {
    const Tensor src = image.to(kCPU, kFloat32).contiguous();
    const float* p = src.data_ptr<float>();
    for (int64_t k = 0; k < c; ++k)
      for (int64_t i = 0; i < plane; ++i) {
        const float v = p[k * plane + i];
        SEEK_CHECK_VALUE(!std::isnan(v), "write_image: '", path, "': NaN sample at channel ", k, ", row ", i / w,
                         ", column ", i % w);
        const float clamped = v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
        hwc[i * c + k] = static_cast<uint8_t>(clamped * 255.f + 0.5f);
      }
  }
  write_image(path, hwc.data(), h, w, c);
}

}  // namespace seek::data
