// DetectionDataset: checks the records once, then builds each sample with the
// transforms of detection_transforms.h in YOLOv5's order (mosaic or letterbox,
// perspective, HSV, flips). Every random number comes from the caller's
// Generator, so a sample is a pure function of (index, generator state).
// Images are decoded straight from stb_image's bytes into float32 (read_image's
// values and errors, without its tensor ops: cheaper per image on a busy CPU).
#include <stb_image.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include "detection_image.h"
#include "seek/core/error.h"
#include "seek/data/detection_dataset.h"
#include "seek/ops/creation.h"

namespace seek::data {

using detection_detail::box_vector;
using detection_detail::boxes_tensor;
using detection_detail::label_vector;
using detection_detail::labels_tensor;

namespace {

void check_augment(const DetectionAugment& a) {
  SEEK_CHECK_VALUE(a.img_size > 0, "DetectionAugment: img_size must be positive, got ", a.img_size);
  SEEK_CHECK_VALUE(a.mosaic == 0.0 || a.img_size % 2 == 0,
                   "DetectionAugment: img_size must be even with mosaic (the 2 S canvas is cropped by S / 2), got ",
                   a.img_size);
  auto prob = [](double p, const char* name) {
    SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, "DetectionAugment: ", name, " must be a probability in [0, 1], got ", p);
  };
  prob(a.mosaic, "mosaic");
  prob(a.fliplr, "fliplr");
  prob(a.flipud, "flipud");
  prob(a.hsv_h, "hsv_h");
  prob(a.hsv_s, "hsv_s");
  prob(a.hsv_v, "hsv_v");
  prob(a.area_thr, "area_thr");
  SEEK_CHECK_VALUE(a.scale >= 0.0 && a.scale < 1.0, "DetectionAugment: scale must be in [0, 1), got ", a.scale);
  SEEK_CHECK_VALUE(a.degrees >= 0.0 && a.degrees <= 180.0, "DetectionAugment: degrees must be in [0, 180], got ",
                   a.degrees);
  SEEK_CHECK_VALUE(a.translate >= 0.0 && a.translate <= 0.5, "DetectionAugment: translate must be in [0, 0.5], got ",
                   a.translate);
  SEEK_CHECK_VALUE(a.shear >= 0.0 && a.shear < 90.0, "DetectionAugment: shear must be in [0, 90), got ", a.shear);
  SEEK_CHECK_VALUE(a.perspective >= 0.0, "DetectionAugment: perspective must be >= 0, got ", a.perspective);
  SEEK_CHECK_VALUE(a.pad_value >= 0 && a.pad_value <= 255, "DetectionAugment: pad_value must be in [0, 255], got ",
                   a.pad_value);
  SEEK_CHECK_VALUE(a.min_box_size >= 0.0, "DetectionAugment: min_box_size must be >= 0, got ", a.min_box_size);
}

// read_image(path, 3) as a loop over stb_image's bytes.
Tensor decode_rgb(const std::string& path) {
  {
    std::ifstream probe(path, std::ios::binary);
    SEEK_CHECK_T(IOError, probe.is_open(), "DetectionDataset: cannot open '", path, "': ", std::strerror(errno));
  }
  int w = 0, h = 0, stored = 0;
  unsigned char* px = stbi_load(path.c_str(), &w, &h, &stored, 3);
  if (px == nullptr) {
    const char* reason = stbi_failure_reason();
    SEEK_CHECK_T(IOError, false, "DetectionDataset: cannot decode '", path, "': ", reason ? reason : "unknown error");
  }
  Tensor out = empty({3, h, w}, TensorOptions(kFloat32));
  float* d = out.data_ptr<float>();
  const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < 3; ++c) d[c * n + i] = static_cast<float>(px[3 * i + c]) / 255.0f;
  stbi_image_free(px);
  return out;
}

// Boxes clipped to a w x h image; those with no width or height dropped.
BoxedImage clip_boxes(BoxedImage in, int64_t h, int64_t w) {
  const std::vector<float> b = box_vector(in.boxes);
  const std::vector<int64_t> l = label_vector(in.labels);
  std::vector<float> kb;
  std::vector<int64_t> kl;
  for (size_t i = 0; i < l.size(); ++i) {
    const float x1 = std::clamp(b[4 * i], 0.0f, static_cast<float>(w));
    const float y1 = std::clamp(b[4 * i + 1], 0.0f, static_cast<float>(h));
    const float x2 = std::clamp(b[4 * i + 2], 0.0f, static_cast<float>(w));
    const float y2 = std::clamp(b[4 * i + 3], 0.0f, static_cast<float>(h));
    if (x2 <= x1 || y2 <= y1) continue;
    kb.insert(kb.end(), {x1, y1, x2, y2});
    kl.push_back(l[i]);
  }
  in.boxes = boxes_tensor(kb);
  in.labels = labels_tensor(kl);
  return in;
}

}  // namespace

DetectionDataset::DetectionDataset(DetectionSet set, DetectionAugment augment, bool augmenting)
    : set_(std::move(set)), augment_(augment), augmenting_(augmenting) {
  check_augment(augment_);
  const auto num_classes = static_cast<int64_t>(set_.class_names.size());
  for (auto& r : set_.records) {
    const std::string where = "DetectionDataset: record of '" + r.image_path + "'";
    SEEK_CHECK_VALUE(!r.image_path.empty(), "DetectionDataset: a record (image_id ", r.image_id, ") has no image path");
    SEEK_CHECK_VALUE(r.width >= 0 && r.height >= 0, where, ": negative size ", r.width, "x", r.height);
    const BoxedImage checked =
        checked_boxed_image({zeros({1, 1, 1}, TensorOptions(kFloat32)), r.boxes, r.labels}, where.c_str());
    r.boxes = checked.boxes;
    r.labels = checked.labels;
    const std::vector<float> b = box_vector(r.boxes);
    const std::vector<int64_t> l = label_vector(r.labels);
    for (size_t i = 0; i < l.size(); ++i) {
      SEEK_CHECK_VALUE(std::isfinite(b[4 * i]) && std::isfinite(b[4 * i + 1]) && std::isfinite(b[4 * i + 2]) &&
                           std::isfinite(b[4 * i + 3]) && b[4 * i] <= b[4 * i + 2] && b[4 * i + 1] <= b[4 * i + 3],
                       where, ": box ", i, " (", b[4 * i], ", ", b[4 * i + 1], ", ", b[4 * i + 2], ", ", b[4 * i + 3],
                       ") is not a finite xyxy box with x1 <= x2 and y1 <= y2");
      SEEK_CHECK_VALUE(l[i] >= 0 && (num_classes == 0 || l[i] < num_classes), where, ": box ", i, " has class ", l[i],
                       ", expected 0..", num_classes == 0 ? int64_t{0} : num_classes - 1,
                       num_classes == 0 ? " or more" : "");
    }
  }
}

int64_t DetectionDataset::size() const { return static_cast<int64_t>(set_.records.size()); }

const DetectionSet& DetectionDataset::set() const { return set_; }

DetectionDataset::Loaded DetectionDataset::decode(int64_t index) const {
  const DetectionRecord& r = set_.records[static_cast<size_t>(index)];
  Tensor image = decode_rgb(r.image_path);
  const int64_t h = image.size(1), w = image.size(2);
  SEEK_CHECK_VALUE((r.width == 0 || r.width == w) && (r.height == 0 || r.height == h), "DetectionDataset: '",
                   r.image_path, "' is ", w, "x", h, " but its record says ", r.width, "x", r.height);
  Loaded out;
  out.orig_height = h;
  out.orig_width = w;
  out.ratio = static_cast<double>(augment_.img_size) / static_cast<double>(std::max(h, w));
  out.image = resize_long_side({image, r.boxes, r.labels}, augment_.img_size);
  return out;
}

DetectionDataset::Loaded DetectionDataset::load_resized(int64_t index) const {
  return cache_.empty() ? decode(index) : cache_[static_cast<size_t>(index)];
}

void DetectionDataset::cache_images() {
  std::vector<Loaded> cache;
  cache.reserve(set_.records.size());
  for (int64_t i = 0; i < size(); ++i) cache.push_back(decode(i));
  cache_ = std::move(cache);
}

DetectionSample DetectionDataset::get(int64_t index, Generator* g) const {
  SEEK_CHECK_INDEX(index >= 0 && index < size(), "DetectionDataset::get: index ", index, " out of range for ", size(),
                   " images");
  const DetectionRecord& rec = set_.records[static_cast<size_t>(index)];
  const int64_t s = augment_.img_size;
  const double pad = static_cast<double>(augment_.pad_value) / 255.0;
  const Loaded first = load_resized(index);
  DetectionSample sample;
  sample.image_id = rec.image_id;
  sample.orig_height = first.orig_height;
  sample.orig_width = first.orig_width;
  BoxedImage cur;
  if (!augmenting_) {
    Letterboxed lb = letterbox(first.image, s, pad, true);
    sample.ratio = first.ratio * lb.ratio;
    sample.pad_x = lb.pad_x;
    sample.pad_y = lb.pad_y;
    cur = clip_boxes(std::move(lb.out), s, s);
  } else {
    PerspectiveOptions po;
    po.degrees = augment_.degrees;
    po.translate = augment_.translate;
    po.scale = augment_.scale;
    po.shear = augment_.shear;
    po.perspective = augment_.perspective;
    po.pad_value = pad;
    po.min_box_size = augment_.min_box_size;
    po.area_thr = augment_.area_thr;
    if (draw_uniform(g, 0.0, 1.0) < augment_.mosaic) {
      const std::array<int64_t, 2> centre = random_mosaic_centre(s, g);
      std::array<BoxedImage, 4> pieces;
      pieces[0] = first.image;
      for (size_t k = 1; k < 4; ++k) {
        const auto other =
            std::min<int64_t>(static_cast<int64_t>(draw_uniform(g, 0.0, static_cast<double>(size()))), size() - 1);
        pieces[k] = load_resized(other).image;
      }
      // The ratio / padding describe the first image's long-side resize only.
      sample.ratio = first.ratio;
      cur = random_perspective(mosaic(pieces, s, centre[0], centre[1], pad), po, -(s / 2), g);
    } else {
      Letterboxed lb = letterbox(first.image, s, pad, true);
      sample.ratio = first.ratio * lb.ratio;
      sample.pad_x = lb.pad_x;
      sample.pad_y = lb.pad_y;
      cur = random_perspective(lb.out, po, 0, g);
    }
    if (augment_.hsv_h > 0.0 || augment_.hsv_s > 0.0 || augment_.hsv_v > 0.0)
      cur = augment_hsv(cur, augment_.hsv_h, augment_.hsv_s, augment_.hsv_v, g);
    if (draw_uniform(g, 0.0, 1.0) < augment_.flipud) cur = vflip(cur);
    if (draw_uniform(g, 0.0, 1.0) < augment_.fliplr) cur = hflip(cur);
  }
  sample.image = cur.image;
  sample.boxes = cur.boxes;
  sample.labels = cur.labels;
  return sample;
}

}  // namespace seek::data
