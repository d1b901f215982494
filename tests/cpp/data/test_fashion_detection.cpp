// The Fashion-MNIST detection generator: on small fake IDX files (solid rectangles, so the
// tight boxes are checkable pixel by pixel; train labels 3, t10k labels 7, so the split an
// item came from shows in its label), determinism across runs and thread counts, clutter
// that stays unlabelled and off the boxes, and a run on the real files when they exist.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "seek/data/detection_io.h"
#include "seek/data/fashion_detection.h"
#include "seek/seek.h"
#include "support/test_util.h"

namespace fs = std::filesystem;
using namespace seek;
using namespace seek::data;

namespace {

const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

void put_be32(std::ofstream& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out.write(b, 4);
}

// n items of 28x28: item i is a solid rectangle rows [3 + i % 4, 24 - i % 3) x cols [5 + i % 5, 23), value 255.
std::vector<uint8_t> rectangles(int n) {
  std::vector<uint8_t> px(static_cast<size_t>(n) * 784, 0);
  for (int i = 0; i < n; ++i)
    for (int y = 3 + i % 4; y < 24 - i % 3; ++y)
      for (int x = 5 + i % 5; x < 23; ++x) px[static_cast<size_t>(i) * 784 + y * 28 + x] = 255;
  return px;
}

void write_idx(const fs::path& dir, const std::string& prefix, int n, uint8_t label) {
  std::ofstream img(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
  put_be32(img, 0x803);
  put_be32(img, static_cast<uint32_t>(n));
  put_be32(img, 28);
  put_be32(img, 28);
  const auto px = rectangles(n);
  img.write(reinterpret_cast<const char*>(px.data()), static_cast<std::streamsize>(px.size()));
  std::ofstream lab(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  put_be32(lab, 0x801);
  put_be32(lab, static_cast<uint32_t>(n));
  for (int i = 0; i < n; ++i) lab.put(static_cast<char>(label));
}

// Every file below `root`: relative path -> contents.
std::map<std::string, std::string> files_of(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    out[fs::relative(e.path(), root).string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

double iou(const float* a, const float* b) {
  const double w = std::min(a[2], b[2]) - std::max(a[0], b[0]), h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  const double inter = w > 0 && h > 0 ? w * h : 0;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

FashionDetectionOptions small(int64_t train, int64_t val, int64_t test, uint64_t seed) {
  FashionDetectionOptions o;
  o.train = train;
  o.val = val;
  o.test = test;
  o.seed = seed;
  return o;
}

class FashionDetectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(mnist_);
    write_idx(mnist_, "train", 40, 3);
    write_idx(mnist_, "t10k", 20, 7);
  }
  seek::testing::TempDir tmp_{"seek_fashion_det_"};
  const fs::path mnist_ = tmp_.path() / "mnist";
};

}  // namespace

TEST_F(FashionDetectionTest, WritesSplitsThatReadBack) {
  const fs::path out = tmp_.path() / "out";
  const auto result = make_fashion_detection(mnist_.string(), out.string(), small(6, 3, 2, 1));
  EXPECT_EQ(read_class_names((out / "classes.txt").string()), fashion_mnist_class_names());
  EXPECT_EQ(fashion_mnist_class_names().size(), 10u);
  const DetectionSet* sets[3] = {&result.train, &result.val, &result.test};
  const char* names[3] = {"train", "val", "test"};
  const size_t counts[3] = {6, 3, 2};
  for (int s = 0; s < 3; ++s) {
    const fs::path dir = out / names[s];
    ASSERT_EQ(sets[s]->records.size(), counts[s]);
    EXPECT_TRUE(fs::exists(dir / "images/000000.png"));
    const DetectionSet yolo =
        read_yolo_folder((dir / "images").string(), (dir / "labels").string(), fashion_mnist_class_names());
    const DetectionSet coco =
        read_coco_json((out / (std::string(names[s]) + ".json")).string(), (dir / "images").string());
    ASSERT_EQ(yolo.records.size(), counts[s]);
    ASSERT_EQ(coco.records.size(), counts[s]);
    EXPECT_EQ(coco.class_names, fashion_mnist_class_names());
    for (size_t i = 0; i < counts[s]; ++i) {
      const auto& r = sets[s]->records[i];
      EXPECT_EQ(r.image_id, static_cast<int64_t>(i));
      EXPECT_EQ(yolo.records[i].image_path, r.image_path);
      EXPECT_EQ(coco.records[i].image_path, r.image_path);
      EXPECT_EQ(yolo.records[i].width, 128);
      const auto want = to_vector<float>(r.boxes);
      EXPECT_EQ(to_vector<float>(coco.records[i].boxes), want);
      const auto got = to_vector<float>(yolo.records[i].boxes);
      ASSERT_EQ(got.size(), want.size());
      for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-3);
      // Train items come from the train file (label 3), val / test items from t10k (label 7).
      for (int64_t label : to_vector<int64_t>(r.labels)) EXPECT_EQ(label, s == 0 ? 3 : 7);
      EXPECT_EQ(to_vector<int64_t>(yolo.records[i].labels), to_vector<int64_t>(r.labels));
      EXPECT_GE(r.labels.size(0), 2);  // the first two items always fit, later ones may be dropped
      EXPECT_LE(r.labels.size(0), s == 0 ? 10 : 6);
    }
  }
}

TEST_F(FashionDetectionTest, TrainItemsPerImageAreTheTrainSplitsOwn) {
  auto opts = small(6, 3, 3, 5);
  opts.min_items = opts.max_items = 2;
  opts.train_min_items = opts.train_max_items = 4;
  const auto result = make_fashion_detection(mnist_.string(), (tmp_.path() / "a").string(), opts);
  for (const auto& r : result.train.records) EXPECT_EQ(r.labels.size(0), 4);
  for (const auto* set : {&result.val, &result.test})
    for (const auto& r : set->records) EXPECT_EQ(r.labels.size(0), 2);
  // The val and test images do not depend on the train split's density; -1 takes min_items / max_items.
  opts.train_min_items = opts.train_max_items = -1;
  const auto same = make_fashion_detection(mnist_.string(), (tmp_.path() / "b").string(), opts);
  for (const auto& r : same.train.records) EXPECT_EQ(r.labels.size(0), 2);
  const auto a = files_of(tmp_.path() / "a"), b = files_of(tmp_.path() / "b");
  int64_t compared = 0;
  for (const auto& [path, bytes] : a)
    if (path.rfind("val", 0) == 0 || path.rfind("test", 0) == 0) {
      EXPECT_EQ(bytes, b.at(path)) << path;
      ++compared;
    }
  EXPECT_EQ(compared, 2 + 2 * 6);  // 2 json, an image and a label per val / test image
  EXPECT_NE(a.at("train/labels/000000.txt"), b.at("train/labels/000000.txt"));
  opts.train_min_items = 3;  // one of the pair -1, or min > max
  EXPECT_THROW(make_fashion_detection(mnist_.string(), (tmp_.path() / "c").string(), opts), ValueError);
  opts.train_min_items = 5, opts.train_max_items = 4;
  EXPECT_THROW(make_fashion_detection(mnist_.string(), (tmp_.path() / "d").string(), opts), ValueError);
}

TEST_F(FashionDetectionTest, SameSeedSameFilesWhateverTheThreads) {
  auto opts = small(10, 3, 3, 42);
  opts.num_threads = 1;
  make_fashion_detection(mnist_.string(), (tmp_.path() / "a").string(), opts);
  opts.num_threads = 3;
  make_fashion_detection(mnist_.string(), (tmp_.path() / "b").string(), opts);
  const auto a = files_of(tmp_.path() / "a");
  EXPECT_EQ(a.size(), 1u + 3u + 2u * 16u);  // classes.txt, 3 json, an image and a label per image
  EXPECT_TRUE(a == files_of(tmp_.path() / "b"));
  opts.seed = 43;
  make_fashion_detection(mnist_.string(), (tmp_.path() / "c").string(), opts);
  const auto c = files_of(tmp_.path() / "c");
  EXPECT_NE(a.at("train/images/000000.png"), c.at("train/images/000000.png"));
  EXPECT_NE(a.at("train.json"), c.at("train.json"));
}

TEST_F(FashionDetectionTest, ExistingSetIsReplacedOnlyWhenAsked) {
  const fs::path out = tmp_.path() / "out";
  make_fashion_detection(mnist_.string(), out.string(), small(5, 1, 1, 0));
  auto opts = small(2, 1, 1, 0);
  EXPECT_THROW(make_fashion_detection(mnist_.string(), out.string(), opts), IOError);
  opts.overwrite = true;
  make_fashion_detection(mnist_.string(), out.string(), opts);
  EXPECT_FALSE(fs::exists(out / "train/images/000002.png"));
  EXPECT_FALSE(fs::exists(out / "train/labels/000002.txt"));
  EXPECT_TRUE(fs::exists(out / "train/images/000001.png"));
  // Empty split folders (say, left by hand) are no earlier set.
  fs::create_directories(tmp_.path() / "empty/train/images");
  make_fashion_detection(mnist_.string(), (tmp_.path() / "empty").string(), small(1, 1, 1, 0));
  EXPECT_TRUE(fs::exists(tmp_.path() / "empty/train/images/000000.png"));
}

TEST_F(FashionDetectionTest, BoxesAreTightAndApart) {
  // A flat background and no clutter: every pixel outside the boxes is the background colour
  // and each box edge (first / last row and column) holds an item pixel.
  const auto px = rectangles(40);
  const Tensor items = tensor<uint8_t>(px, {40, 28, 28});
  const Tensor labels = arange(40, TensorOptions(kInt64));
  FashionDetectionOptions o;
  o.noise = 0;
  o.gradient = 0;
  o.max_lines = 0;
  o.max_pieces = 0;
  int64_t total = 0;
  for (uint64_t seed = 0; seed < 25; ++seed) {
    const auto r = render_fashion_detection(items, labels, o, seed);
    ASSERT_EQ(r.image.sizes(), (Shape{3, 128, 128}));
    const auto img = to_vector<uint8_t>(r.image);
    const auto b = to_vector<float>(r.boxes);
    const int64_t n = r.labels.size(0);
    total += n;
    ASSERT_GE(n, 2);
    ASSERT_LE(n, 6);
    auto inside = [&](int64_t y, int64_t x) {
      for (int64_t k = 0; k < n; ++k)
        if (x >= b[4 * k] && x < b[4 * k + 2] && y >= b[4 * k + 1] && y < b[4 * k + 3]) return true;
      return false;
    };
    auto pixel = [&](int64_t y, int64_t x) {
      return std::array<uint8_t, 3>{img[y * 128 + x], img[16384 + y * 128 + x], img[32768 + y * 128 + x]};
    };
    int64_t by = -1, bx = -1;
    for (int64_t y = 0; y < 128 && by < 0; ++y)
      for (int64_t x = 0; x < 128; ++x)
        if (!inside(y, x)) {
          by = y;
          bx = x;
          break;
        }
    const auto background = pixel(by, bx);
    for (int64_t y = 0; y < 128; ++y)
      for (int64_t x = 0; x < 128; ++x)
        if (!inside(y, x)) ASSERT_EQ(pixel(y, x), background) << "seed " << seed << " at " << y << ", " << x;
    for (int64_t k = 0; k < n; ++k) {
      const float* bk = &b[4 * k];
      ASSERT_GE(bk[0], 0);
      ASSERT_GE(bk[1], 0);
      ASSERT_LE(bk[2], 128);
      ASSERT_LE(bk[3], 128);
      EXPECT_LE(bk[2] - bk[0], o.max_item_size);
      EXPECT_LE(bk[3] - bk[1], o.max_item_size);
      for (int64_t j = 0; j < k; ++j) EXPECT_LE(iou(bk, &b[4 * j]), o.max_iou + 1e-9);
      const auto x1 = static_cast<int64_t>(bk[0]), y1 = static_cast<int64_t>(bk[1]);
      const auto x2 = static_cast<int64_t>(bk[2]) - 1, y2 = static_cast<int64_t>(bk[3]) - 1;
      bool top = false, bottom = false, left = false, right = false;
      for (int64_t x = x1; x <= x2; ++x) {
        top |= pixel(y1, x) != background;
        bottom |= pixel(y2, x) != background;
      }
      for (int64_t y = y1; y <= y2; ++y) {
        left |= pixel(y, x1) != background;
        right |= pixel(y, x2) != background;
      }
      EXPECT_TRUE(top && bottom && left && right) << "seed " << seed << " box " << k;
    }
  }
  EXPECT_GT(total, 25 * 3);  // more than the minimum of 2 items on average
}

TEST_F(FashionDetectionTest, ClutterIsUnlabelledAndOffTheBoxes) {
  const Tensor items = tensor<uint8_t>(rectangles(40), {40, 28, 28});
  const Tensor labels = zeros({40}, TensorOptions(kInt64));
  FashionDetectionOptions plain;
  plain.noise = 0;
  plain.max_lines = 0;
  plain.max_pieces = 0;
  FashionDetectionOptions pieces = plain;
  pieces.max_pieces = 6;
  int64_t changed = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const auto a = render_fashion_detection(items, labels, plain, seed);
    const auto c = render_fashion_detection(items, labels, pieces, seed);
    // The same items in the same places; pieces only change pixels outside every box.
    ASSERT_EQ(to_vector<float>(a.boxes), to_vector<float>(c.boxes));
    const auto ia = to_vector<uint8_t>(a.image), ic = to_vector<uint8_t>(c.image);
    const auto b = to_vector<float>(a.boxes);
    for (int64_t y = 0; y < 128; ++y)
      for (int64_t x = 0; x < 128; ++x) {
        bool in_box = false;
        for (size_t k = 0; k < b.size(); k += 4) in_box |= x >= b[k] && x < b[k + 2] && y >= b[k + 1] && y < b[k + 3];
        for (int ch = 0; ch < 3; ++ch) {
          const size_t i = static_cast<size_t>(ch * 16384 + y * 128 + x);
          if (in_box) ASSERT_EQ(ia[i], ic[i]) << "seed " << seed;
          changed += ia[i] != ic[i];
        }
      }
  }
  EXPECT_GT(changed, 0);
}

TEST_F(FashionDetectionTest, BadOptionsAndMissingFiles) {
  auto o = small(1, 0, 0, 0);
  o.min_items = 5;
  o.max_items = 3;
  EXPECT_THROW(make_fashion_detection(mnist_.string(), (tmp_.path() / "o").string(), o), ValueError);
  o = small(1, 0, 0, 0);
  o.max_item_size = 300;
  EXPECT_THROW(make_fashion_detection(mnist_.string(), (tmp_.path() / "o").string(), o), ValueError);
  EXPECT_THROW(
      make_fashion_detection((tmp_.path() / "none").string(), (tmp_.path() / "o2").string(), small(1, 0, 0, 0)),
      IOError);
  EXPECT_FALSE(fs::exists(tmp_.path() / "o2/train"));  // nothing is written before the items are read
}

TEST(FashionDetectionReal, GeneratesFromFashionMnist) {
  if (!fs::exists(fs::path(kFashionDir) / "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "no Fashion-MNIST";
  seek::testing::TempDir tmp("seek_fashion_real_");
  const auto result = make_fashion_detection(kFashionDir, tmp.path().string(), small(40, 10, 10, 5));
  std::vector<int64_t> per_class(10, 0);
  int64_t train_boxes = 0;
  for (const auto* set : {&result.train, &result.val, &result.test})
    for (const auto& r : set->records) {
      EXPECT_GE(r.labels.size(0), 2);
      EXPECT_LE(r.labels.size(0), set == &result.train ? 10 : 6);  // 6-10 per train image, 2-6 per val / test
      if (set == &result.train) train_boxes += r.labels.size(0);
      check_detection_record(r, 10, r.image_path);  // inside the image, classes in range
      for (int64_t l : to_vector<int64_t>(r.labels)) ++per_class[static_cast<size_t>(l)];
    }
  EXPECT_GE(train_boxes, 6 * 40);               // nearly every item finds a place (8 per train image on average)
  for (int64_t c : per_class) EXPECT_GT(c, 0);  // 60 images x 2..10 items cover every class
  const Tensor img = read_image(result.val.records[0].image_path);
  EXPECT_EQ(img.sizes(), (Shape{3, 128, 128}));
}
