// DetectionDataset, collate_detection and DetectionLoader on a tiny set of PNG
// scenes (solid coloured rectangles on grey, label = colour) written here with
// stb_image_write: boxes stay on their colour through mosaic / perspective /
// flips, letterbox meta data maps back, batches are reproducible and do not
// depend on the number of workers, and bad input errors name what is wrong.
#include <gtest/gtest.h>
#include <stb_image_write.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "detection_test_util.h"
#include "seek/data/detection_dataset.h"
#include "seek/seek.h"

namespace fs = std::filesystem;
using namespace seek;
using namespace seek::data;
using seek::testing::expect_boxes_on_colour;
using seek::testing::Rect;
using seek::testing::scene;

namespace {

struct SceneSpec {
  int64_t h, w;
  std::vector<Rect> rects;
};

// Scenes of varied sizes; every rectangle keeps a margin of at least 6 pixels
// to the border, so two copies of a scene in a mosaic never touch.
const std::vector<SceneSpec>& specs() {
  static const std::vector<SceneSpec> s = {
      {64, 64, {{8, 10, 30, 40, 0}, {36, 30, 56, 54, 1}}},
      {80, 100, {{10, 8, 50, 40, 2}, {60, 45, 90, 70, 0}}},
      {96, 72, {{10, 12, 40, 50, 1}}},
      {50, 60, {{8, 8, 26, 40, 0}, {34, 12, 52, 40, 2}}},
      {128, 128, {{20, 20, 70, 60, 1}, {80, 70, 118, 118, 2}}},
      {70, 90, {{6, 6, 40, 30, 2}, {50, 36, 82, 62, 1}}},
  };
  return s;
}

fs::path scene_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("seek_detds_" + std::to_string(::getpid()));
    fs::create_directories(d);
    for (size_t i = 0; i < specs().size(); ++i) {
      const SceneSpec& sp = specs()[i];
      const std::vector<float> v = to_vector<float>(scene(sp.h, sp.w, sp.rects));
      std::vector<uint8_t> px(static_cast<size_t>(sp.h * sp.w * 3));
      for (int64_t y = 0; y < sp.h; ++y)
        for (int64_t x = 0; x < sp.w; ++x)
          for (int64_t c = 0; c < 3; ++c)
            px[static_cast<size_t>((y * sp.w + x) * 3 + c)] =
                static_cast<uint8_t>(std::lround(v[static_cast<size_t>((c * sp.h + y) * sp.w + x)] * 255.0f));
      const std::string p = (d / ("s" + std::to_string(i) + ".png")).string();
      EXPECT_NE(stbi_write_png(p.c_str(), static_cast<int>(sp.w), static_cast<int>(sp.h), 3, px.data(),
                               static_cast<int>(sp.w * 3)),
                0);
    }
    return d;
  }();
  return dir;
}

DetectionSet make_set() {
  DetectionSet set;
  set.class_names = {"red", "green", "blue"};
  for (size_t i = 0; i < specs().size(); ++i) {
    const SceneSpec& sp = specs()[i];
    DetectionRecord r;
    r.image_path = (scene_dir() / ("s" + std::to_string(i) + ".png")).string();
    r.image_id = static_cast<int64_t>(100 + i);
    r.width = sp.w;
    r.height = sp.h;
    std::vector<float> boxes;
    std::vector<int64_t> labels;
    for (const Rect& q : sp.rects) {
      boxes.insert(boxes.end(), {static_cast<float>(q.x1), static_cast<float>(q.y1), static_cast<float>(q.x2),
                                 static_cast<float>(q.y2)});
      labels.push_back(q.colour);
    }
    r.boxes = tensor(boxes, {static_cast<int64_t>(labels.size()), 4}, TensorOptions(kFloat32));
    r.labels = tensor(labels, {static_cast<int64_t>(labels.size())}, TensorOptions(kInt64));
    set.records.push_back(r);
  }
  return set;
}

DetectionAugment geometric_augment() {
  DetectionAugment a;
  a.img_size = 96;
  a.degrees = 10;
  a.shear = 4;
  a.flipud = 0.5;
  a.hsv_h = a.hsv_s = a.hsv_v = 0.0;  // colours stay pure for the check
  return a;
}

TEST(DetectionDataset, LetterboxOnlyWithoutAugmenting) {
  DetectionAugment a;
  a.img_size = 96;
  const DetectionDataset ds(make_set(), a, false);
  ASSERT_EQ(ds.size(), 6);
  for (int64_t i = 0; i < ds.size(); ++i) {
    const DetectionSample s = ds.get(i, nullptr);
    const SceneSpec& sp = specs()[static_cast<size_t>(i)];
    EXPECT_EQ(s.image.sizes(), (Shape{3, 96, 96}));
    EXPECT_EQ(s.image_id, 100 + i);
    EXPECT_EQ(s.orig_height, sp.h);
    EXPECT_EQ(s.orig_width, sp.w);
    EXPECT_NEAR(s.ratio, 96.0 / static_cast<double>(std::max(sp.h, sp.w)), 1e-12);
    expect_boxes_on_colour(s.image, s.boxes, s.labels, 1.0);
    // x_new = x_orig * ratio + pad: the mapping inverts to the record's boxes.
    const Tensor back = unletterbox_boxes(s.boxes, s.ratio, s.pad_x, s.pad_y);
    EXPECT_TRUE(allclose(back, ds.set().records[static_cast<size_t>(i)].boxes, 0, 1e-3)) << i;
  }
}

TEST(DetectionDataset, MosaicSamplesKeepBoxesOnTheirColour) {
  const DetectionDataset ds(make_set(), geometric_augment(), true);
  int64_t boxes = 0;
  for (uint64_t seed = 0; seed < 48; ++seed) {
    Generator g(seed);
    const DetectionSample s = ds.get(static_cast<int64_t>(seed % 6), &g);
    ASSERT_EQ(s.image.sizes(), (Shape{3, 96, 96}));
    boxes += expect_boxes_on_colour(s.image, s.boxes, s.labels, 1.5);
  }
  EXPECT_GT(boxes, 48);
}

TEST(DetectionDataset, LetterboxPathAugmentedKeepsBoxesOnTheirColour) {
  DetectionAugment a = geometric_augment();
  a.mosaic = 0.0;
  a.degrees = 10;
  const DetectionDataset ds(make_set(), a, true);
  int64_t boxes = 0;
  for (uint64_t seed = 0; seed < 18; ++seed) {
    Generator g(seed + 1000);
    const DetectionSample s = ds.get(static_cast<int64_t>(seed % 6), &g);
    boxes += expect_boxes_on_colour(s.image, s.boxes, s.labels, 1.5);
  }
  EXPECT_GT(boxes, 18);
}

TEST(DetectionDataset, HsvOnlyKeepsTheLetterboxedBoxes) {
  DetectionAugment a;
  a.img_size = 96;
  a.mosaic = 0.0;
  a.translate = a.scale = 0.0;
  a.fliplr = 0.0;
  const DetectionDataset plain(make_set(), a, false), jitter(make_set(), a, true);
  Generator g(3);
  const DetectionSample p = plain.get(1, nullptr), j = jitter.get(1, &g);
  EXPECT_TRUE(allclose(p.boxes, j.boxes, 0, 1e-4));
  EXPECT_FALSE(allclose(p.image, j.image, 0, 1e-3));  // the colours did change
}

TEST(DetectionDataset, DegenerateBoxesDroppedWhenAugmenting) {
  // Scene 0 (64 x 64 -> 96, ratio 1.5) gets a third box 1 pixel wide (1.5 after
  // the resize, below min_box_size 2) and one half outside the image.
  DetectionSet set = make_set();
  set.records[0].boxes = tensor(std::vector<float>{8, 10, 30, 40, 36, 30, 56, 54, 40, 2, 41, 20, 50, 40, 80, 60},
                                {4, 4}, TensorOptions(kFloat32));
  set.records[0].labels = tensor(std::vector<int64_t>{0, 1, 2, 2}, {4}, TensorOptions(kInt64));
  DetectionAugment a;
  a.img_size = 96;
  a.mosaic = 0.0;
  a.translate = a.scale = 0.0;  // the identity warp: only the box filter acts
  a.fliplr = 0.0;
  a.hsv_h = a.hsv_s = a.hsv_v = 0.0;
  Generator g(0);
  const DetectionSample s = DetectionDataset(set, a, true).get(0, &g);
  EXPECT_EQ(to_vector<int64_t>(s.labels), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_TRUE(
      allclose(s.boxes, tensor(std::vector<float>{12, 15, 45, 60, 54, 45, 84, 81, 75, 60, 96, 90}, {3, 4}), 0, 1e-4));
  // Without augmenting, boxes are only clipped to the image.
  const DetectionSample v = DetectionDataset(set, a, false).get(0, nullptr);
  EXPECT_EQ(to_vector<int64_t>(v.labels), (std::vector<int64_t>{0, 1, 2, 2}));
  EXPECT_FLOAT_EQ(to_vector<float>(v.boxes)[14], 96.0f);
}

TEST(DetectionDataset, SameGeneratorSameSampleAndCacheChangesNothing) {
  DetectionDataset ds(make_set(), geometric_augment(), true);
  Generator g1(42), g2(42);
  const DetectionSample a = ds.get(2, &g1), b = ds.get(2, &g2);
  EXPECT_TRUE(equal(a.image, b.image));
  EXPECT_TRUE(equal(a.boxes, b.boxes));
  EXPECT_TRUE(equal(a.labels, b.labels));
  ds.cache_images();
  ASSERT_TRUE(ds.cached());
  Generator g3(42);
  const DetectionSample c = ds.get(2, &g3);
  EXPECT_TRUE(equal(a.image, c.image));
  EXPECT_TRUE(equal(a.boxes, c.boxes));
}

TEST(DetectionCollate, Layout) {
  DetectionSample a, b, c;
  a.image = full({3, 8, 8}, 0.25, TensorOptions(kFloat32));
  a.boxes = tensor(std::vector<float>{0, 0, 4, 2, 2, 2, 6, 8}, {2, 4}, TensorOptions(kFloat32));
  a.labels = tensor(std::vector<int64_t>{3, 1}, {2}, TensorOptions(kInt64));
  a.image_id = 7;
  b.image = full({3, 8, 8}, 0.5, TensorOptions(kFloat32));
  b.boxes = zeros({0, 4}, TensorOptions(kFloat32));
  b.labels = zeros({0}, TensorOptions(kInt64));
  c.image = full({3, 8, 8}, 0.75, TensorOptions(kFloat32));
  c.boxes = tensor(std::vector<float>{1, 3, 5, 7}, {1, 4}, TensorOptions(kFloat32));
  c.labels = tensor(std::vector<int64_t>{0}, {1}, TensorOptions(kInt64));
  const DetectionBatch batch = collate_detection({a, b, c});
  EXPECT_EQ(batch.images.sizes(), (Shape{3, 3, 8, 8}));
  EXPECT_EQ(to_vector<float>(batch.images.select(0, 2).flatten())[5], 0.75f);
  EXPECT_EQ(batch.counts, (std::vector<int64_t>{2, 0, 1}));
  EXPECT_EQ(batch.targets.sizes(), (Shape{3, 6}));
  EXPECT_EQ(to_vector<float>(batch.targets), (std::vector<float>{0, 3, 0.25f, 0.125f, 0.5f, 0.25f,  //
                                                                 0, 1, 0.5f, 0.625f, 0.5f, 0.75f,   //
                                                                 2, 0, 0.375f, 0.625f, 0.5f, 0.5f}));
  ASSERT_EQ(batch.samples.size(), 3u);
  EXPECT_FALSE(batch.samples[0].image.defined());
  EXPECT_EQ(batch.samples[0].image_id, 7);
  EXPECT_EQ(batch.samples[0].boxes.size(0), 2);
  // An image of another size, or none, is an error naming the sample.
  DetectionSample d = c;
  d.image = zeros({3, 8, 9}, TensorOptions(kFloat32));
  EXPECT_THROW(collate_detection({a, d}), ShapeError);
  EXPECT_THROW(collate_detection({}), ValueError);
  DetectionSample e = c;
  e.labels = zeros({2}, TensorOptions(kInt64));
  EXPECT_THROW(collate_detection({e}), ShapeError);
}

void expect_same_batches(DetectionLoader& x, DetectionLoader& y) {
  std::vector<DetectionBatch> bx, by;
  for (auto& b : x) bx.push_back(b);
  for (auto& b : y) by.push_back(b);
  ASSERT_EQ(bx.size(), by.size());
  for (size_t i = 0; i < bx.size(); ++i) {
    EXPECT_TRUE(equal(bx[i].images, by[i].images)) << "batch " << i;
    EXPECT_TRUE(equal(bx[i].targets, by[i].targets)) << "batch " << i;
    EXPECT_EQ(bx[i].counts, by[i].counts);
  }
}

TEST(DetectionLoader, SameBatchesForAnyNumberOfWorkers) {
  auto ds = std::make_shared<const DetectionDataset>(make_set(), geometric_augment(), true);
  DetectionLoader l0(ds, 4, true, 9, 0), l1(ds, 4, true, 9, 1), l3(ds, 4, true, 9, 3);
  EXPECT_EQ(l0.num_batches(), 2);
  expect_same_batches(l0, l1);
  expect_same_batches(l0, l3);
  l0.set_epoch(1);
  l3.set_epoch(1);
  expect_same_batches(l0, l3);
}

TEST(DetectionLoader, EpochsAndSeedsDiffer) {
  auto ds = std::make_shared<const DetectionDataset>(make_set(), geometric_augment(), true);
  DetectionLoader l(ds, 6, true, 1, 2);
  const std::vector<int64_t> e0 = l.epoch_indices(0), e1 = l.epoch_indices(1);
  EXPECT_NE(e0, e1);
  std::vector<int64_t> sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  const DetectionBatch a = l.make_batch(0);
  l.set_epoch(1);
  const DetectionBatch b = l.make_batch(0);
  EXPECT_FALSE(equal(a.images, b.images));
  DetectionLoader other(ds, 6, true, 2, 2);
  EXPECT_FALSE(equal(other.make_batch(0).images, a.images));
  // The batch the iterator yields is make_batch's.
  l.set_epoch(0);
  int64_t count = 0;
  for (auto& batch : l) {
    EXPECT_TRUE(equal(batch.images, a.images));
    EXPECT_EQ(batch.images.size(0), 6);
    ++count;
  }
  EXPECT_EQ(count, 1);
}

// Data parallel: the ranks' shares are the whole epoch's order dealt out in turn, each sample augmented as the
// one loader would augment it at its position in the epoch, and padded (wrapping) to equal shares.
TEST(DetectionLoader, ShardsDealOutTheEpochAsOneLoader) {
  auto ds = std::make_shared<const DetectionDataset>(make_set(), geometric_augment(), true);
  DetectionLoader whole(ds, 1, true, 5, 0);
  whole.set_epoch(2);
  const std::vector<int64_t> order = whole.epoch_indices(2);
  for (const int64_t world : {2, 4}) {
    std::vector<int64_t> seen;
    for (int64_t rank = 0; rank < world; ++rank) {
      DetectionLoader shard(ds, 1, true, 5, rank % 2);  // with and without workers
      shard.set_shard(world, rank);
      shard.set_epoch(2);
      const int64_t per_rank = (6 + world - 1) / world;
      EXPECT_EQ(shard.num_batches(), per_rank);
      const std::vector<int64_t> mine = shard.epoch_indices(2);
      ASSERT_EQ(static_cast<int64_t>(mine.size()), per_rank);
      int64_t j = 0;
      for (auto& b : shard) {
        const int64_t position = j * world + rank;
        EXPECT_EQ(mine[static_cast<size_t>(j)], order[static_cast<size_t>(position % 6)]);
        if (position < 6) {  // a padded position repeats an image with another augmentation
          EXPECT_TRUE(equal(b.images, whole.make_batch(position).images)) << "world " << world << " rank " << rank;
          seen.push_back(mine[static_cast<size_t>(j)]);
        }
        ++j;
      }
      EXPECT_EQ(j, per_rank);
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5})) << "world " << world;
  }
  EXPECT_THROW(whole.set_shard(0, 0), ValueError);
  EXPECT_THROW(whole.set_shard(2, 2), ValueError);
  EXPECT_THROW(whole.set_shard(2, -1), ValueError);
}

TEST(DetectionLoader, OrderWithoutShuffleAndDropLast) {
  DetectionAugment a;
  a.img_size = 64;
  auto ds = std::make_shared<const DetectionDataset>(make_set(), a, false);
  DetectionLoader keep(ds, 4, false, 0, 1, false), drop(ds, 4, false, 0, 1, true);
  EXPECT_EQ(keep.num_batches(), 2);
  EXPECT_EQ(drop.num_batches(), 1);
  std::vector<int64_t> ids, sizes;
  for (auto& b : keep) {
    sizes.push_back(b.images.size(0));
    for (const auto& s : b.samples) ids.push_back(s.image_id);
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{100, 101, 102, 103, 104, 105}));
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 2}));
  int64_t n = 0;
  for (auto& b : drop) n += b.images.size(0);
  EXPECT_EQ(n, 4);
  // An empty set: no batch, with or without workers.
  DetectionSet none;
  auto empty_ds = std::make_shared<const DetectionDataset>(none, a, true);
  DetectionLoader nothing(empty_ds, 4, true, 0, 2);
  EXPECT_EQ(nothing.num_batches(), 0);
  EXPECT_TRUE(nothing.begin() == nothing.end());
  // Leaving an iteration early stops the workers cleanly.
  DetectionLoader early(ds, 1, true, 0, 2);
  for (auto& b : early) {
    EXPECT_EQ(b.images.size(0), 1);
    break;
  }
}

TEST(DetectionLoader, ErrorsReachTheIteration) {
  DetectionSet set = make_set();
  set.records[3].image_path = (scene_dir() / "missing.png").string();
  DetectionAugment a;
  a.img_size = 64;
  auto ds = std::make_shared<const DetectionDataset>(set, a, false);
  for (int64_t workers : {0, 2}) {
    DetectionLoader l(ds, 2, false, 0, workers);
    auto it = l.begin();  // batch 0: images 0 and 1
    EXPECT_EQ(it->images.size(0), 2);
    EXPECT_THROW(++it, IOError) << workers << " workers";  // batch 1 holds image 3
  }
}

TEST(DetectionDataset, BadInputErrors) {
  DetectionAugment a;
  a.img_size = 64;
  {
    DetectionSet s = make_set();
    s.records[1].labels = tensor(std::vector<int64_t>{2, 3}, {2}, TensorOptions(kInt64));
    try {
      DetectionDataset ds(s, a, false);
      FAIL();
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("s1.png"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("class 3"), std::string::npos) << e.what();
    }
  }
  {
    DetectionSet s = make_set();
    s.records[0].boxes = tensor(std::vector<float>{30, 0, 10, 5, 0, 0, 1, 1}, {2, 4}, TensorOptions(kFloat32));
    EXPECT_THROW(DetectionDataset(s, a, false), ValueError);
    s.records[0].boxes = zeros({2, 5}, TensorOptions(kFloat32));
    EXPECT_THROW(DetectionDataset(s, a, false), ShapeError);
    s.records[0].boxes = zeros({3, 4}, TensorOptions(kFloat32));
    EXPECT_THROW(DetectionDataset(s, a, false), ShapeError);  // 2 labels
  }
  {
    DetectionSet s = make_set();
    s.records[2].width = 10;  // the file is 72 wide
    DetectionDataset ds(s, a, false);
    EXPECT_THROW(ds.get(2, nullptr), ValueError);
    EXPECT_THROW(ds.get(6, nullptr), IndexError);
  }
  {
    DetectionSet s = make_set();
    s.records[4].image_path = (scene_dir() / "nope.png").string();
    DetectionDataset ds(s, a, false);
    try {
      ds.get(4, nullptr);
      FAIL();
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find("nope.png"), std::string::npos) << e.what();
    }
  }
  for (auto bad : {+[](DetectionAugment& x) { x.mosaic = 1.5; }, +[](DetectionAugment& x) { x.img_size = 0; },
                   +[](DetectionAugment& x) { x.scale = 1.0; }, +[](DetectionAugment& x) { x.pad_value = 300; },
                   +[](DetectionAugment& x) { x.img_size = 65; }, +[](DetectionAugment& x) { x.fliplr = -0.1; }}) {
    DetectionAugment x = a;
    bad(x);
    EXPECT_THROW(DetectionDataset(make_set(), x, true), ValueError);
  }
  auto ds = std::make_shared<const DetectionDataset>(make_set(), a, false);
  EXPECT_THROW(DetectionLoader(ds, 0, false, 0), ValueError);
  EXPECT_THROW(DetectionLoader(ds, 2, false, 0, -1), ValueError);
  EXPECT_THROW(DetectionLoader(nullptr, 2, false, 0), ValueError);
}

}  // namespace
