// Throughput of the augmenting detection loader (images/s): synthetic 128x128
// PNG scenes (coloured rectangles with boxes) are written to a temporary folder,
// then DetectionLoader runs YOLOv5's training augmentation (mosaic, random
// perspective, HSV, flips) over them with 0, 1 and 2 worker threads, reading the
// PNGs every time and from the in-memory cache (cache_images).
//   bench_detection_loader [images=512] [img_size=128] [batch=32] [epochs=2]
#include <stb_image_write.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "seek/data/detection_dataset.h"
#include "seek/seek.h"

using namespace seek;
using namespace seek::data;
namespace fs = std::filesystem;

namespace {

DetectionSet write_scenes(const fs::path& dir, int64_t n) {
  fs::create_directories(dir);
  DetectionSet set;
  set.class_names = {"a", "b", "c"};
  const int w = 128, h = 128;
  std::vector<uint8_t> px(static_cast<size_t>(w * h * 3));
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < px.size(); ++k) px[k] = static_cast<uint8_t>((k * 7 + static_cast<size_t>(i)) % 64 + 96);
    std::vector<float> boxes;
    std::vector<int64_t> labels;
    for (int64_t r = 0; r < 4; ++r) {
      const int x1 = static_cast<int>((i * 13 + r * 29) % 80), y1 = static_cast<int>((i * 7 + r * 41) % 80);
      const int bw = 16 + static_cast<int>((i + r) % 30), bh = 16 + static_cast<int>((i * 3 + r) % 30);
      for (int y = y1; y < y1 + bh; ++y)
        for (int x = x1; x < x1 + bw; ++x) px[static_cast<size_t>((y * w + x) * 3 + r % 3)] = 250;
      boxes.insert(boxes.end(), {static_cast<float>(x1), static_cast<float>(y1), static_cast<float>(x1 + bw),
                                 static_cast<float>(y1 + bh)});
      labels.push_back(r % 3);
    }
    DetectionRecord rec;
    rec.image_path = (dir / ("img" + std::to_string(i) + ".png")).string();
    stbi_write_png(rec.image_path.c_str(), w, h, 3, px.data(), w * 3);
    rec.image_id = i;
    rec.width = w;
    rec.height = h;
    rec.boxes = tensor(boxes, {4, 4}, TensorOptions(kFloat32));
    rec.labels = tensor(labels, {4}, TensorOptions(kInt64));
    set.records.push_back(rec);
  }
  return set;
}

double run(const std::shared_ptr<const DetectionDataset>& ds, int64_t batch, int64_t workers, int64_t epochs) {
  DetectionLoader loader(ds, batch, true, 0, workers, true);
  int64_t images = 0, boxes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t e = 0; e < epochs; ++e) {
    loader.set_epoch(e);
    for (auto& b : loader) {
      images += b.images.size(0);
      boxes += b.targets.size(0);
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  workers %lld: %lld images in %.2f s = %.0f images/s (%.1f boxes per image)\n",
              static_cast<long long>(workers), static_cast<long long>(images), s, static_cast<double>(images) / s,
              static_cast<double>(boxes) / static_cast<double>(images));
  return static_cast<double>(images) / s;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 512;
  const int64_t size = argc > 2 ? std::atoll(argv[2]) : 128;
  const int64_t batch = argc > 3 ? std::atoll(argv[3]) : 32;
  const int64_t epochs = argc > 4 ? std::atoll(argv[4]) : 2;
  const fs::path dir = fs::temp_directory_path() / ("seek_bench_detloader_" + std::to_string(::getpid()));
  DetectionAugment aug;  // YOLOv5's defaults: mosaic 1, translate 0.1, scale 0.5, fliplr 0.5, HSV
  aug.img_size = size;
  const DetectionSet set = write_scenes(dir, n);
  std::printf("detection loader, %lld PNG images 128x128 -> %lldx%lld, batch %lld, %lld epochs\n",
              static_cast<long long>(n), static_cast<long long>(size), static_cast<long long>(size),
              static_cast<long long>(batch), static_cast<long long>(epochs));
  for (bool cached : {false, true}) {
    auto ds = std::make_shared<DetectionDataset>(set, aug, true);
    if (cached) ds->cache_images();
    std::printf("augmenting (mosaic + perspective + HSV + flips), %s:\n", cached ? "cached images" : "PNG decoded");
    for (int64_t w : {0, 1, 2}) run(ds, batch, w, epochs);
  }
  auto plain = std::make_shared<const DetectionDataset>(set, aug, false);
  std::printf("letterbox only (validation), PNG decoded:\n");
  run(plain, batch, 1, epochs);
  fs::remove_all(dir);
  return 0;
}
