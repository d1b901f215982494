#pragma once
// Image files out: write_image (PNG, JPEG or BMP by the file's extension; PNG deflated with
// zlib, JPEG and BMP encoded by stb_image_write), the counterpart of read_image in
// image_folder.h.
#include <cstdint>
#include <string>

#include "seek/core/tensor.h"

namespace seek::data {

// Writes a [C, H, W] image (C = 1 grey, 3 RGB or 4 RGBA) to `path`; the format follows
// the extension, compared case-insensitively: .png (lossless), .jpg / .jpeg (quality 95)
// or .bmp. uint8 samples are written as they are; floating-point samples are taken as
// [0, 1], clamped to it and rounded to the nearest of 0..255 (x * 255 + 0.5), so
// read_image(path) gives a float image back exactly when it holds multiples of 1/255.
// A tensor on another device is copied to the CPU. The folder must exist.
// Throws ValueError for another rank, channel count, dtype or extension, or a NaN
// sample, and IOError naming the file when it cannot be written.
void write_image(const std::string& path, const Tensor& image);

// The same from interleaved bytes: `pixels` holds height rows of width * channels
// samples (row-major [H, W, C]), as image generators produce them. png_level is zlib's
// compression level for PNG (0 none .. 9 smallest; 1 is the fastest that compresses).
void write_image(const std::string& path, const uint8_t* pixels, int64_t height, int64_t width, int64_t channels,
                 int png_level = 6);

}  // namespace seek::data
