// The Fashion-MNIST detection generator. Each image is drawn from its own xoshiro256**
// stream (seeded by splitmix64 from seed, split and index), so images can be drawn by any
// number of threads in any order and still come out the same. Drawing is plain loops over
// an [H, W, 3] float canvas: a gradient + noise background, line fragments and cut pieces
// of items (unlabelled, never inside an item's box), then the items. An item is its 28x28
// frame scaled bilinearly; only pixels above item_threshold are drawn (alpha 0 below), so
// the box of those pixels is exactly the item's visible extent.
#include "seek/data/fashion_detection.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numbers>
#include <optional>
#include <thread>

#include "seek/core/error.h"
#include "seek/data/idx.h"
#include "seek/data/image_write.h"
#include "detection_rng.h"
#include "yolo_label_text.h"
#include "seek/ops/creation.h"

namespace seek::data {
namespace {

namespace fs = std::filesystem;

using detail::Rng;
using detail::splitmix64;

struct Source {  // the items of one split
  const uint8_t* pixels;
  const int64_t* labels;
  int64_t count, height, width;
};

struct Mask {  // a scaled item (or piece): intensities in [0, 1], and the box of pixels > threshold
  int64_t h = 0, w = 0;
  std::vector<float> p;
  int64_t r0 = 0, c0 = 0, r1 = -1, c1 = -1;  // inclusive; r1 < r0 when empty
};

// Bilinear (align_corners false) scaling of the rows [y0, y0 + ch) x cols [x0, x0 + cw) of a
// [.., width] byte image to oh x ow, and the tight box of the pixels above `threshold`.
Mask scale(const uint8_t* src, int64_t width, int64_t y0, int64_t x0, int64_t ch, int64_t cw, int64_t oh, int64_t ow,
           double threshold) {
  Mask m;
  m.h = oh;
  m.w = ow;
  m.p.resize(static_cast<size_t>(oh * ow));
  m.r0 = oh;
  m.c0 = ow;
  for (int64_t y = 0; y < oh; ++y) {
    const double sy = std::clamp((y + 0.5) * ch / oh - 0.5, 0.0, static_cast<double>(ch - 1));
    const auto ya = static_cast<int64_t>(sy);
    const int64_t yb = std::min(ya + 1, ch - 1);
    const double fy = sy - ya;
    for (int64_t x = 0; x < ow; ++x) {
      const double sx = std::clamp((x + 0.5) * cw / ow - 0.5, 0.0, static_cast<double>(cw - 1));
      const auto xa = static_cast<int64_t>(sx);
      const int64_t xb = std::min(xa + 1, cw - 1);
      const double fx = sx - xa;
      auto at = [&](int64_t yy, int64_t xx) { return src[(y0 + yy) * width + x0 + xx] / 255.0; };
      const double v =
          (at(ya, xa) * (1 - fx) + at(ya, xb) * fx) * (1 - fy) + (at(yb, xa) * (1 - fx) + at(yb, xb) * fx) * fy;
      m.p[y * ow + x] = static_cast<float>(v);
      if (v > threshold) {
        m.r0 = std::min(m.r0, y);
        m.r1 = std::max(m.r1, y);
        m.c0 = std::min(m.c0, x);
        m.c1 = std::max(m.c1, x);
      }
    }
  }
  return m;
}

struct Box {
  double x1, y1, x2, y2;
  double area() const { return (x2 - x1) * (y2 - y1); }
};
double intersection(const Box& a, const Box& b) {
  const double w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1), h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  return w > 0 && h > 0 ? w * h : 0.0;
}

// A random colour: hue any, saturation and value in the given ranges.
void hsv_colour(Rng& rng, double s_lo, double s_hi, double v_lo, double v_hi, float out[3]) {
  const double h = rng.uniform(0, 6), s = rng.uniform(s_lo, s_hi), v = rng.uniform(v_lo, v_hi);
  const auto i = static_cast<int>(h);
  const double f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  const double rgb[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
  for (int k = 0; k < 3; ++k) out[k] = static_cast<float>(rgb[std::min(i, 5)][k]);
}

class Canvas {
 public:
  explicit Canvas(int64_t n) : n_(n), px_(static_cast<size_t>(n * n * 3)) {}
  float* at(int64_t y, int64_t x) { return &px_[(y * n_ + x) * 3]; }
  // Draws a mask with its frame's top-left at (top, left): pixels above the threshold get
  // alpha min(1, 0.4 + 2p) and colour tint * (0.35 + 0.65p); the rest stays as it is.
  void draw(const Mask& m, int64_t top, int64_t left, const float tint[3], double threshold) {
    for (int64_t y = std::max<int64_t>(0, -top); y < m.h && top + y < n_; ++y)
      for (int64_t x = std::max<int64_t>(0, -left); x < m.w && left + x < n_; ++x) {
        const float p = m.p[y * m.w + x];
        if (p <= threshold) continue;
        const float a = std::min(1.0f, 0.4f + 2 * p), shade = 0.35f + 0.65f * p;
        float* c = at(top + y, left + x);
        for (int k = 0; k < 3; ++k) c[k] = c[k] * (1 - a) + tint[k] * shade * a;
      }
  }
  void to_bytes(uint8_t* out) const {
    for (size_t i = 0; i < px_.size(); ++i)
      out[i] = static_cast<uint8_t>(std::clamp(px_[i], 0.0f, 1.0f) * 255.0f + 0.5f);
  }
  int64_t size() const { return n_; }

 private:
  int64_t n_;
  std::vector<float> px_;
};

void draw_background(Canvas& cv, Rng& rng, const FashionDetectionOptions& o) {
  float base[3], delta[3];
  for (int k = 0; k < 3; ++k) {
    base[k] = static_cast<float>(rng.uniform(0.02, 0.3));
    delta[k] = static_cast<float>(o.gradient * rng.uniform(-1, 1));
  }
  const double angle = rng.uniform(0, 2 * std::numbers::pi), ca = std::cos(angle), sa = std::sin(angle);
  const int64_t n = cv.size();
  for (int64_t y = 0; y < n; ++y)
    for (int64_t x = 0; x < n; ++x) {
      const auto t = static_cast<float>(((x - n / 2.0) * ca + (y - n / 2.0) * sa) / n);  // in about [-0.7, 0.7]
      float* c = cv.at(y, x);
      // Luminance noise (one value for the three channels): a third of the entropy of colour
      // noise, so the PNGs stay small.
      const double noise = o.noise > 0 ? o.noise * rng.uniform(-1, 1) : 0.0;
      for (int k = 0; k < 3; ++k) c[k] = static_cast<float>(base[k] + delta[k] * t + noise);
    }
}

void draw_line(Canvas& cv, Rng& rng) {
  const int64_t n = cv.size();
  float colour[3];
  hsv_colour(rng, 0.0, 0.8, 0.3, 0.9, colour);
  const double x = rng.uniform(0, n), y = rng.uniform(0, n), angle = rng.uniform(0, std::numbers::pi);
  const double length = rng.uniform(6, 0.25 * n);
  const int64_t thick = rng.integer(1, 2);
  for (double t = 0; t <= length; t += 0.5) {
    const auto px = static_cast<int64_t>(x + t * std::cos(angle)), py = static_cast<int64_t>(y + t * std::sin(angle));
    for (int64_t dy = 0; dy < thick; ++dy)
      for (int64_t dx = 0; dx < thick; ++dx)
        if (py + dy >= 0 && py + dy < n && px + dx >= 0 && px + dx < n)
          std::copy(colour, colour + 3, cv.at(py + dy, px + dx));
  }
}

int64_t item_side(Rng& rng, const FashionDetectionOptions& o) {
  return static_cast<int64_t>(std::lround(
      std::exp(rng.uniform(std::log(static_cast<double>(o.min_item_size)), std::log(o.max_item_size + 0.499)))));
}

struct Placed {
  Mask mask;
  int64_t top, left, label;
  float tint[3];
  Box box;
};

// Draws one image; appends its boxes (xyxy) and labels.
void render(const Source& src, const FashionDetectionOptions& o, uint64_t image_seed, uint8_t* out,
            std::vector<float>* boxes, std::vector<int64_t>* labels) {
  Rng rng(image_seed);
  const int64_t n = o.canvas, plane = src.height * src.width, frame = std::max(src.height, src.width);
  // Items: sizes and places first (a failed place retries smaller, then the item is dropped).
  std::vector<Placed> items;
  const int64_t count = rng.integer(o.min_items, o.max_items);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = rng.integer(0, src.count - 1);
    int64_t side = item_side(rng, o);
    bool placed = false;
    for (int shrink = 0; shrink < 4 && !placed; ++shrink, side = std::max(o.min_item_size, side * 4 / 5)) {
      const int64_t oh = std::max<int64_t>(1, side * src.height / frame),
                    ow = std::max<int64_t>(1, side * src.width / frame);
      Mask m = scale(src.pixels + index * plane, src.width, 0, 0, src.height, src.width, oh, ow, o.item_threshold);
      if (m.r1 < m.r0) break;  // a blank item: nothing to box
      for (int attempt = 0; attempt < 30 && !placed; ++attempt) {
        const int64_t top = rng.integer(-m.r0, n - 1 - m.r1), left = rng.integer(-m.c0, n - 1 - m.c1);
        const Box b{static_cast<double>(left + m.c0), static_cast<double>(top + m.r0),
                    static_cast<double>(left + m.c1 + 1), static_cast<double>(top + m.r1 + 1)};
        bool ok = true;
        for (const auto& p : items) {
          const double inter = intersection(b, p.box);
          if (inter / (b.area() + p.box.area() - inter) > o.max_iou ||
              inter > o.max_cover * std::min(b.area(), p.box.area())) {
            ok = false;
            break;
          }
        }
        if (!ok) continue;
        Placed p{std::move(m), top, left, src.labels[index], {}, b};
        hsv_colour(rng, 0.0, 0.7, 0.7, 1.0, p.tint);
        items.push_back(std::move(p));
        placed = true;
      }
    }
  }

  Canvas cv(n);
  draw_background(cv, rng, o);
  const int64_t lines = rng.integer(0, o.max_lines);
  for (int64_t i = 0; i < lines; ++i) draw_line(cv, rng);
  // Cut pieces: a fifth to a third of an item's frame around one of its pixels (a fragment rather than a
  // whole item), placed off every item box.
  const int64_t pieces = rng.integer(0, o.max_pieces);
  for (int64_t i = 0; i < pieces; ++i) {
    const int64_t index = rng.integer(0, src.count - 1);
    const uint8_t* img = src.pixels + index * plane;
    int64_t cy = src.height / 2, cx = src.width / 2;
    for (int tries = 0; tries < 20; ++tries) {
      const int64_t y = rng.integer(0, src.height - 1), x = rng.integer(0, src.width - 1);
      if (img[y * src.width + x] / 255.0 > o.item_threshold) {
        cy = y;
        cx = x;
        break;
      }
    }
    const int64_t ch =
        std::min(src.height, rng.integer(std::max<int64_t>(1, frame / 5), std::max<int64_t>(1, frame / 3)));
    const int64_t cw =
        std::min(src.width, rng.integer(std::max<int64_t>(1, frame / 5), std::max<int64_t>(1, frame / 3)));
    const int64_t y0 = std::clamp(cy - ch / 2, int64_t{0}, src.height - ch),
                  x0 = std::clamp(cx - cw / 2, int64_t{0}, src.width - cw);
    const int64_t side = item_side(rng, o);
    const int64_t oh = std::max<int64_t>(1, ch * side / frame), ow = std::max<int64_t>(1, cw * side / frame);
    const Mask m = scale(img, src.width, y0, x0, ch, cw, oh, ow, o.item_threshold);
    float tint[3];
    hsv_colour(rng, 0.0, 0.7, 0.6, 1.0, tint);
    for (int attempt = 0; attempt < 20; ++attempt) {
      const int64_t top = rng.integer(-oh / 2, n - 1 - oh / 2), left = rng.integer(-ow / 2, n - 1 - ow / 2);
      const Box b{static_cast<double>(left), static_cast<double>(top), static_cast<double>(left + ow),
                  static_cast<double>(top + oh)};
      if (std::any_of(items.begin(), items.end(), [&](const Placed& p) { return intersection(b, p.box) > 0; }))
        continue;
      cv.draw(m, top, left, tint, o.item_threshold);
      break;
    }
  }
  for (const auto& p : items) {
    cv.draw(p.mask, p.top, p.left, p.tint, o.item_threshold);
    boxes->insert(boxes->end(), {static_cast<float>(p.box.x1), static_cast<float>(p.box.y1),
                                 static_cast<float>(p.box.x2), static_cast<float>(p.box.y2)});
    labels->push_back(p.label);
  }
  cv.to_bytes(out);
}

void check_options(const FashionDetectionOptions& o) {
  SEEK_CHECK_VALUE(o.canvas >= 8 && o.canvas <= 8192, "make_fashion_detection: canvas must be in [8, 8192], got ",
                   o.canvas);
  SEEK_CHECK_VALUE(o.min_items >= 0 && o.min_items <= o.max_items && o.max_items <= 1000,
                   "make_fashion_detection: need 0 <= min_items <= max_items <= 1000, got ", o.min_items, " and ",
                   o.max_items);
  SEEK_CHECK_VALUE((o.train_min_items == -1 && o.train_max_items == -1) ||
                       (o.train_min_items >= 0 && o.train_min_items <= o.train_max_items && o.train_max_items <= 1000),
                   "make_fashion_detection: need 0 <= train_min_items <= train_max_items <= 1000 (or both -1: ",
                   "min_items / max_items), got ", o.train_min_items, " and ", o.train_max_items);
  SEEK_CHECK_VALUE(o.min_item_size >= 4 && o.min_item_size <= o.max_item_size && o.max_item_size <= o.canvas,
                   "make_fashion_detection: need 4 <= min_item_size <= max_item_size <= canvas, got ", o.min_item_size,
                   " and ", o.max_item_size);
  SEEK_CHECK_VALUE(o.max_iou >= 0 && o.max_iou <= 1 && o.max_cover >= 0 && o.max_cover <= 1,
                   "make_fashion_detection: max_iou and max_cover must be in [0, 1]");
  SEEK_CHECK_VALUE(o.item_threshold >= 0 && o.item_threshold < 1,
                   "make_fashion_detection: item_threshold must be in [0, 1)");
  SEEK_CHECK_VALUE(o.noise >= 0 && o.noise <= 1 && o.gradient >= 0 && o.gradient <= 1,
                   "make_fashion_detection: noise and gradient must be in [0, 1]");
  SEEK_CHECK_VALUE(o.max_lines >= 0 && o.max_pieces >= 0,
                   "make_fashion_detection: max_lines and max_pieces must be >= 0");
  SEEK_CHECK_VALUE(o.train >= 0 && o.val >= 0 && o.test >= 0 && o.train + o.val + o.test <= 100000000,
                   "make_fashion_detection: image counts must be >= 0");
  SEEK_CHECK_VALUE(o.num_threads >= 0, "make_fashion_detection: num_threads must be >= 0");
}

Source source_of(const Tensor& items, const Tensor& labels) {
  SEEK_CHECK_VALUE(
      items.dim() == 3 && items.dtype() == kUInt8 && items.is_cpu() && items.is_contiguous() && items.size(0) > 0,
      "fashion detection: items must be a non-empty contiguous CPU uint8 [N, h, w] tensor");
  SEEK_CHECK_VALUE(labels.dim() == 1 && labels.dtype() == kInt64 && labels.is_cpu() && labels.is_contiguous() &&
                       labels.size(0) == items.size(0),
                   "fashion detection: item labels must be a contiguous CPU int64 [N] tensor matching the items");
  return {items.data_ptr<uint8_t>(), labels.data_ptr<int64_t>(), items.size(0), items.size(1), items.size(2)};
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

uint64_t fashion_detection_image_seed(uint64_t seed, int64_t split, int64_t index) {
  uint64_t x = seed;
  uint64_t h = splitmix64(x);
  x = h ^ (static_cast<uint64_t>(split) * 0x632be59bd9b4e019ULL);
  h = splitmix64(x);
  x = h ^ static_cast<uint64_t>(index);
  return splitmix64(x);
}

RenderedDetection render_fashion_detection(const Tensor& items, const Tensor& item_labels,
                                           const FashionDetectionOptions& options, uint64_t image_seed) {
  check_options(options);
  const Source src = source_of(items, item_labels);
  const int64_t n = options.canvas;
  std::vector<uint8_t> hwc(static_cast<size_t>(n * n * 3));
  std::vector<float> boxes;
  std::vector<int64_t> labels;
  render(src, options, image_seed, hwc.data(), &boxes, &labels);
  RenderedDetection r;
  r.image = tensor<uint8_t>(hwc, {n, n, 3}).permute({2, 0, 1}).contiguous();
  r.boxes = tensor<float>(boxes, {static_cast<int64_t>(labels.size()), 4});
  r.labels = tensor<int64_t>(labels, {static_cast<int64_t>(labels.size())});
  return r;
}

FashionDetectionResult make_fashion_detection(const std::string& mnist_dir, const std::string& out_dir,
                                              const FashionDetectionOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_options(options);
  const char* split_names[3] = {"train", "val", "test"};
  const int64_t counts[3] = {options.train, options.val, options.test};
  // The items first (a missing file leaves nothing behind): train items from the train split,
  // val / test items from t10k.
  std::optional<MNIST> train_items, test_items;
  if (options.train > 0) train_items.emplace(mnist_dir, true);
  if (options.val + options.test > 0) test_items.emplace(mnist_dir, false);
  // Then the folders: refuse to mix with an earlier set (any file below a split folder)
  // unless asked to replace it.
  std::error_code ec;
  for (int s = 0; s < 3; ++s) {
    const fs::path dir = fs::path(out_dir) / split_names[s];
    bool holds_files = false;
    if (fs::is_directory(dir, ec))
      for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (!it->is_directory(ec)) {
          holds_files = true;
          break;
        }
    if (holds_files) {
      SEEK_CHECK_T(IOError, options.overwrite, "make_fashion_detection: '", dir.string(),
                   "' already holds files (set overwrite to replace it)");
      fs::remove_all(dir / "images", ec);
      fs::remove_all(dir / "labels", ec);
    }
    fs::create_directories(dir / "images", ec);
    fs::create_directories(dir / "labels", ec);
    SEEK_CHECK_T(IOError, fs::is_directory(dir / "labels"), "make_fashion_detection: cannot create '", dir.string(),
                 "'");
  }
  Source sources[3];
  if (train_items) sources[0] = source_of(train_items->images(), train_items->labels());
  FashionDetectionOptions split_options[3] = {options, options, options};
  if (options.train_min_items >= 0) {
    split_options[0].min_items = options.train_min_items;
    split_options[0].max_items = options.train_max_items;
  }
  if (test_items) sources[1] = sources[2] = source_of(test_items->images(), test_items->labels());

  std::vector<std::vector<float>> boxes[3];
  std::vector<std::vector<int64_t>> labels[3];
  for (int s = 0; s < 3; ++s) {
    boxes[s].resize(static_cast<size_t>(counts[s]));
    labels[s].resize(static_cast<size_t>(counts[s]));
  }
  const int64_t total = counts[0] + counts[1] + counts[2];
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    const int64_t n = options.canvas;
    std::vector<uint8_t> hwc(static_cast<size_t>(n * n * 3));
    char name[32];
    for (int64_t k = next++; k < total; k = next++) {
      const int s = k < counts[0] ? 0 : (k < counts[0] + counts[1] ? 1 : 2);
      const int64_t i = k - (s == 0 ? 0 : (s == 1 ? counts[0] : counts[0] + counts[1]));
      try {
        render(sources[s], split_options[s], fashion_detection_image_seed(options.seed, s, i), hwc.data(), &boxes[s][i],
               &labels[s][i]);
        const fs::path dir = fs::path(out_dir) / split_names[s];
        std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(i));
        write_image((dir / "images" / (std::string(name) + ".png")).string(), hwc.data(), n, n, 3, 1);
        const std::string label_path = (dir / "labels" / (std::string(name) + ".txt")).string();
        std::ofstream out(label_path, std::ios::binary | std::ios::trunc);
        out << detail::yolo_label_text(boxes[s][i].data(), labels[s][i].data(), labels[s][i].size(), n, n);
        out.flush();
        SEEK_CHECK_T(IOError, out.good(), "make_fashion_detection: cannot write '", label_path, "'");
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = total;  // stop the other workers
      }
    }
  };
  int64_t threads =
      options.num_threads > 0 ? options.num_threads : std::max<int64_t>(1, std::thread::hardware_concurrency());
  threads = std::clamp<int64_t>(threads, 1, std::max<int64_t>(1, total));
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  FashionDetectionResult result;
  DetectionSet* sets[3] = {&result.train, &result.val, &result.test};
  write_class_names(fashion_mnist_class_names(), (fs::path(out_dir) / "classes.txt").string());
  for (int s = 0; s < 3; ++s) {
    DetectionSet& set = *sets[s];
    set.class_names = fashion_mnist_class_names();
    set.records.resize(static_cast<size_t>(counts[s]));
    char name[32];
    for (int64_t i = 0; i < counts[s]; ++i) {
      DetectionRecord& r = set.records[i];
      std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
      r.image_path = (fs::path(out_dir) / split_names[s] / "images" / name).string();
      r.image_id = i;
      r.width = r.height = options.canvas;
      const auto nb = static_cast<int64_t>(labels[s][i].size());
      r.boxes = tensor<float>(boxes[s][i], {nb, 4});
      r.labels = tensor<int64_t>(labels[s][i], {nb});
    }
    write_coco_json(set, (fs::path(out_dir) / (std::string(split_names[s]) + ".json")).string());
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace seek::data
