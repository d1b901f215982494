#pragma once
// Detection augmentations that move the boxes with the pixels (YOLOv5's
// letterbox, random_perspective, flips, augment_hsv and load_mosaic), written as
// direct loops over float32 [C, H, W] CPU images (bilinear sampling), not as
// tensor ops: the loader runs them for every training image on the CPU.
//
// COORDINATES. Boxes are float32 [n, 4] xyxy in continuous pixel coordinates:
// pixel (i, j) covers [j, j + 1) x [i, i + 1), its centre is (j + 0.5, i + 0.5).
// Every warp maps the output pixel centres through the inverse of the same
// matrix that maps the box corners, so a box stays on its pixels exactly
// (up to the bilinear blur of one pixel at the edges).
//
// RANDOMNESS. Random functions draw from a seek::Generator (nullptr: the CPU
// default generator), one Philox block per number, in the order documented on
// each function, so a seed gives the same augmentation everywhere.
#include <array>
#include <cstdint>
#include <vector>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"

namespace seek::data {

// An image and its labelled boxes.
struct BoxedImage {
  Tensor image;   // float32 [C, H, W] in [0, 1]
  Tensor boxes;   // float32 [n, 4] xyxy in this image's pixels
  Tensor labels;  // int64 [n]
};

// Checks the layout above (image floating [C, H, W] on the CPU, boxes [n, 4],
// labels [n] integral) and returns a copy with a contiguous float32 image, float32
// boxes and int64 labels. `op` names the caller in the error.
BoxedImage checked_boxed_image(const BoxedImage& in, const char* op);

// YOLOv5's box_candidates: keeps box i when the new box is wider and taller
// than wh_thr pixels, keeps more than area_thr of the area of `before` (the
// box before the transform, in output pixel units) and has an aspect ratio
// max(w / h, h / w) below ar_thr. Returns one flag per box.
std::vector<bool> box_candidates(const std::vector<float>& before, const std::vector<float>& after, double wh_thr = 2.0,
                                 double ar_thr = 100.0, double area_thr = 0.1);

// ---- letterbox ----
struct Letterboxed {
  BoxedImage out;
  double ratio = 1.0;  // x_new = x_orig * ratio + pad_x, y_new = y_orig * ratio + pad_y
  double pad_x = 0.0, pad_y = 0.0;
};
// Resizes the image to fit a size x size square keeping its aspect ratio
// (ratio = size / max(H, W), or min(that, 1) when scaleup is false), with bilinear
// sampling of the exact scale (area averaging when shrinking), and pads it
// centred with pad_value (YOLOv5: left = round(dw - 0.1), top = round(dh - 0.1)).
// Boxes are mapped with the same ratio and padding; none are dropped.
Letterboxed letterbox(const BoxedImage& in, int64_t size, double pad_value = 114.0 / 255.0, bool scaleup = true);
// Resizes so that the longer side is `size` (YOLOv5's load_image), boxes scaled.
BoxedImage resize_long_side(const BoxedImage& in, int64_t size);
// The inverse of letterbox's box mapping: boxes of the letterboxed image back to
// the original image's pixels (not clipped).
Tensor unletterbox_boxes(const Tensor& boxes, double ratio, double pad_x, double pad_y);

// ---- perspective / affine ----
struct PerspectiveOptions {
  double degrees = 0.0;      // rotation in [-degrees, degrees]
  double translate = 0.1;    // centre moved by [0.5 - t, 0.5 + t] of the output size
  double scale = 0.5;        // zoom in [1 - scale, 1 + scale]
  double shear = 0.0;        // x and y shear angles in [-shear, shear] degrees
  double perspective = 0.0;  // the projective terms in [-perspective, perspective]
  double pad_value = 114.0 / 255.0;
  double min_box_size = 2.0;  // box_candidates' wh_thr
  double area_thr = 0.1;      // box_candidates' area_thr
};
// A row-major 3x3 matrix mapping input pixel coordinates to output ones.
using Matrix3 = std::array<double, 9>;
// YOLOv5's M = T * S * R * P * C for an input of in_h x in_w and an output of
// (in_h + 2 border) x (in_w + 2 border). Draws 8 numbers in this order: the two
// perspective terms (x, y), the angle, the scale, the x and y shears, the x and
// y translations (uniform in the ranges above).
Matrix3 random_perspective_matrix(int64_t in_h, int64_t in_w, int64_t border, const PerspectiveOptions& options,
                                  Generator* generator = nullptr);
// Warps image and boxes by M into an out_h x out_w image: each output pixel
// samples the input bilinearly at M^-1 (its centre) (pad_value outside). Each
// box becomes the bounding box of its mapped quadrilateral clipped to the
// output (tighter than YOLOv5's clipped box of the corners when a rotated box
// is cut by the border); boxes failing box_candidates (against the box scaled by the affine
// part's zoom, as YOLOv5) are dropped with their labels.
BoxedImage warp_perspective(const BoxedImage& in, const Matrix3& m, int64_t out_h, int64_t out_w,
                            const PerspectiveOptions& options);
// random_perspective_matrix + warp_perspective (YOLOv5's random_perspective;
// border = -size / 2 after a mosaic, 0 otherwise). Without a border and with an
// identity matrix the image is returned as it is (boxes still filtered).
BoxedImage random_perspective(const BoxedImage& in, const PerspectiveOptions& options, int64_t border = 0,
                              Generator* generator = nullptr);

// ---- flips ----
BoxedImage hflip(const BoxedImage& in);  // x -> W - x
BoxedImage vflip(const BoxedImage& in);  // y -> H - y

// ---- colour ----
// YOLOv5's augment_hsv on float RGB: hue h in [0, 1) -> fract(h * gain_h),
// saturation -> min(s * gain_s, 1), value -> min(v * gain_v, 1). Boxes unchanged.
BoxedImage adjust_hsv(const BoxedImage& in, double gain_h, double gain_s, double gain_v);
// gains = 1 + uniform(-1, 1) * (hgain, sgain, vgain), drawn in that order.
BoxedImage augment_hsv(const BoxedImage& in, double hgain, double sgain, double vgain, Generator* generator = nullptr);

// ---- mosaic ----
// YOLOv5's load_mosaic: a 2 size x 2 size canvas filled with pad_value, the four
// images placed around the centre (xc, yc) (top-left, top-right, bottom-left,
// bottom-right, each touching the centre with a corner and cut at the canvas),
// boxes shifted with their image and clipped to the canvas; boxes left with no
// width or height are dropped. Images are used as given (resize them first,
// resize_long_side).
BoxedImage mosaic(const std::array<BoxedImage, 4>& pieces, int64_t size, int64_t xc, int64_t yc,
                  double pad_value = 114.0 / 255.0);
// The random centre: xc then yc, each int(uniform(size / 2, 3 size / 2)).
std::array<int64_t, 2> random_mosaic_centre(int64_t size, Generator* generator = nullptr);

// One uniform [low, high) double from one Philox block of the generator.
double draw_uniform(Generator* generator, double low, double high);

}  // namespace seek::data
