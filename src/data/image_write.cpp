// write_image: [C, H, W] tensors (or interleaved bytes) to PNG / JPEG / BMP. The tensor is
// brought to a contiguous CPU uint8 or float32 copy and interleaved into [H, W, C] bytes in
// one pass. PNG is encoded here with zlib (every row with the Sub filter, one IDAT chunk):
// about 3x faster than stb_image_write's own deflate, which matters to the data generators;
// JPEG and BMP go through stb_image_write.
#include "seek/data/image_write.h"

#include <stb_image_write.h>
#include <zlib.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
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

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_chunk(std::string& out, const char type[4], const unsigned char* data, size_t n) {
  put_be32(out, static_cast<uint32_t>(n));
  const size_t start = out.size();
  out.append(type, 4);
  out.append(reinterpret_cast<const char*>(data), n);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(out.data() + start), static_cast<uInt>(n + 4));
  put_be32(out, static_cast<uint32_t>(crc));
}

// A PNG file: signature, IHDR (8-bit grey / RGB / RGBA), one IDAT, IEND.
bool write_png(const std::string& path, const uint8_t* px, int64_t h, int64_t w, int64_t c, int level) {
  const size_t row = static_cast<size_t>(w * c);
  std::vector<unsigned char> filtered(static_cast<size_t>(h) * (row + 1));
  for (int64_t y = 0; y < h; ++y) {
    unsigned char* dst = &filtered[static_cast<size_t>(y) * (row + 1)];
    const uint8_t* src = px + static_cast<size_t>(y) * row;
    dst[0] = 1;  // Sub: each byte minus the same channel of the pixel to its left
    for (size_t i = 0; i < row; ++i)
      dst[1 + i] = static_cast<unsigned char>(src[i] - (i >= static_cast<size_t>(c) ? src[i - c] : 0));
  }
  uLongf packed_size = compressBound(static_cast<uLong>(filtered.size()));
  std::vector<unsigned char> packed(packed_size);
  if (compress2(packed.data(), &packed_size, filtered.data(), static_cast<uLong>(filtered.size()), level) != Z_OK)
    return false;
  std::string out("\x89PNG\r\n\x1a\n", 8);
  unsigned char ihdr[13] = {0};
  for (int k = 0; k < 4; ++k) {
    ihdr[k] = static_cast<unsigned char>((static_cast<uint32_t>(w) >> (24 - 8 * k)) & 0xff);
    ihdr[4 + k] = static_cast<unsigned char>((static_cast<uint32_t>(h) >> (24 - 8 * k)) & 0xff);
  }
  ihdr[8] = 8;                                // bits per sample
  ihdr[9] = c == 1 ? 0 : (c == 3 ? 2 : 6);    // grey, RGB, RGBA
  put_chunk(out, "IHDR", ihdr, sizeof ihdr);  // compression, filter method, interlace: 0
  put_chunk(out, "IDAT", packed.data(), packed_size);
  put_chunk(out, "IEND", nullptr, 0);
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return false;
  return std::fwrite(out.data(), 1, out.size(), f.get()) == out.size() && std::fflush(f.get()) == 0;
}

}  // namespace

void write_image(const std::string& path, const uint8_t* pixels, int64_t height, int64_t width, int64_t channels,
                 int png_level) {
  const Format format = format_of(path);
  SEEK_CHECK_VALUE(channels == 1 || channels == 3 || channels == 4, "write_image: '", path,
                   "': channels must be 1, 3 or 4, got ", channels);
  SEEK_CHECK_VALUE(height > 0 && width > 0 && height <= (1 << 24) && width <= (1 << 24), "write_image: '", path,
                   "': bad image size ", height, "x", width);
  SEEK_CHECK_VALUE(pixels != nullptr, "write_image: '", path, "': null pixel buffer");
  SEEK_CHECK_VALUE(png_level >= 0 && png_level <= 9, "write_image: png_level must be in [0, 9], got ", png_level);
  const int w = static_cast<int>(width), h = static_cast<int>(height), c = static_cast<int>(channels);
  int ok = 0;
  switch (format) {
    case Format::Png: ok = write_png(path, pixels, height, width, channels, png_level) ? 1 : 0; break;
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
