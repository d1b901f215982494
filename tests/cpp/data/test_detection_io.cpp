// YOLO folders and COCO json for DetectionSet: round trips, the COCO category mapping,
// crowd annotations, and bad labels reported with their file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "seek/data/detection_io.h"
#include "seek/data/image_write.h"
#include "seek/seek.h"
#include "support/test_util.h"

namespace fs = std::filesystem;
using namespace seek;
using namespace seek::data;

namespace {

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

DetectionRecord record(const std::string& path, int64_t id, int64_t w, int64_t h, std::vector<float> boxes,
                       std::vector<int64_t> labels) {
  DetectionRecord r;
  r.image_path = path;
  r.image_id = id;
  r.width = w;
  r.height = h;
  r.boxes = tensor<float>(boxes, {static_cast<int64_t>(labels.size()), 4});
  r.labels = tensor<int64_t>(labels, {static_cast<int64_t>(labels.size())});
  return r;
}

// Expects `fn` to throw LabelError whose message contains every one of `parts`.
template <typename Fn>
void expect_label_error(Fn fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected LabelError";
  } catch (const LabelError& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " / " << p;
  }
}

class DetectionIoTest : public ::testing::Test {
 protected:
  // images/{b,a,c}.png of sizes 40x30, 20x10, 16x16 and a labels folder.
  void SetUp() override {
    fs::create_directories(dir_ / "images");
    fs::create_directories(dir_ / "labels");
    write_image((dir_ / "images/b.png").string(), zeros({3, 30, 40}));
    write_image((dir_ / "images/a.png").string(), zeros({1, 10, 20}));
    write_image((dir_ / "images/c.jpg").string(), zeros({3, 16, 16}));
    write_file(dir_ / "images/notes.txt", "not an image");
  }
  std::string images() const { return (dir_ / "images").string(); }
  std::string labels() const { return (dir_ / "labels").string(); }
  const std::vector<std::string> names_{"cat", "dog", "hat"};
  seek::testing::TempDir tmp_{"seek_detection_io_"};
  const fs::path dir_ = tmp_.path();
};

}  // namespace

TEST_F(DetectionIoTest, ReadYoloFolderDenormalisesInSortedOrder) {
  // a.png (20x10): one box; b.png (40x30): two boxes and a blank line; c.jpg: no label file.
  write_file(dir_ / "labels/a.txt", "2 0.5 0.5 0.5 0.4\n");
  write_file(dir_ / "labels/b.txt", "0 0.25 0.5 0.1 0.2\n\n  1 0.75 0.25 0.5 0.5  \n");
  write_file(dir_ / "labels/orphan.txt", "0 0.5 0.5 0.1 0.1\n");
  const DetectionSet set = read_yolo_folder(images(), labels(), names_);
  EXPECT_EQ(set.class_names, names_);
  ASSERT_EQ(set.records.size(), 3u);
  EXPECT_EQ(fs::path(set.records[0].image_path).filename(), "a.png");
  EXPECT_EQ(fs::path(set.records[1].image_path).filename(), "b.png");
  EXPECT_EQ(fs::path(set.records[2].image_path).filename(), "c.jpg");
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(set.records[i].image_id, i);
  EXPECT_EQ(set.records[0].width, 20);
  EXPECT_EQ(set.records[0].height, 10);
  EXPECT_EQ(set.records[1].width, 40);
  EXPECT_EQ(set.records[1].height, 30);
  EXPECT_EQ(to_vector<float>(set.records[0].boxes), (std::vector<float>{5, 3, 15, 7}));
  EXPECT_EQ(to_vector<int64_t>(set.records[0].labels), (std::vector<int64_t>{2}));
  const auto b = to_vector<float>(set.records[1].boxes);
  const std::vector<float> want{8, 12, 12, 18, 20, 0, 40, 15};
  ASSERT_EQ(b.size(), want.size());
  for (size_t i = 0; i < b.size(); ++i) EXPECT_NEAR(b[i], want[i], 1e-4) << i;
  EXPECT_EQ(to_vector<int64_t>(set.records[1].labels), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(set.records[2].boxes.sizes(), (Shape{0, 4}));
  EXPECT_EQ(set.records[2].labels.sizes(), (Shape{0}));
}

TEST_F(DetectionIoTest, YoloLabelsRoundTrip) {
  DetectionSet set;
  set.class_names = names_;
  set.records.push_back(record(images() + "/a.png", 0, 20, 10, {1.5f, 2.25f, 9.f, 10.f}, {1}));
  set.records.push_back(record(images() + "/b.png", 1, 40, 30, {0, 0, 40, 30, 3, 4, 5, 6}, {0, 2}));
  set.records.push_back(record(images() + "/c.jpg", 2, 16, 16, {}, {}));
  write_yolo_labels(set, (dir_ / "out_labels").string());
  EXPECT_TRUE(fs::exists(dir_ / "out_labels/c.txt"));  // empty file for an image without boxes
  const DetectionSet back = read_yolo_folder(images(), (dir_ / "out_labels").string(), names_);
  ASSERT_EQ(back.records.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const auto got = to_vector<float>(back.records[i].boxes);
    const auto want = to_vector<float>(set.records[i].boxes);
    ASSERT_EQ(got.size(), want.size()) << i;
    for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-4) << i << " " << k;
    EXPECT_EQ(to_vector<int64_t>(back.records[i].labels), to_vector<int64_t>(set.records[i].labels)) << i;
  }
}

TEST_F(DetectionIoTest, CocoJsonRoundTripIsExact) {
  DetectionSet set;
  set.class_names = names_;
  set.records.push_back(record("x/img7.png", 7, 64, 48, {1.25f, 2.5f, 30.75f, 47.f, 0, 0, 64, 48}, {2, 0}));
  set.records.push_back(record("x/img3.png", 3, 32, 32, {}, {}));
  set.records.push_back(record("x/img5.png", 5, 32, 32, {0.1f, 0.2f, 10.3f, 7.7f}, {1}));
  const std::string path = (dir_ / "set.json").string();
  write_coco_json(set, path);
  const DetectionSet back = read_coco_json(path, "root");
  EXPECT_EQ(back.class_names, names_);
  ASSERT_EQ(back.records.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back.records[i].image_id, set.records[i].image_id);
    EXPECT_EQ(back.records[i].width, set.records[i].width);
    EXPECT_EQ(back.records[i].height, set.records[i].height);
    EXPECT_EQ(back.records[i].image_path, (fs::path("root") / fs::path(set.records[i].image_path).filename()).string());
    EXPECT_EQ(to_vector<int64_t>(back.records[i].labels), to_vector<int64_t>(set.records[i].labels));
  }
  EXPECT_EQ(to_vector<float>(back.records[0].boxes), to_vector<float>(set.records[0].boxes));
  const auto b = to_vector<float>(back.records[2].boxes);  // x + w in double may round off by an ulp
  const std::vector<float> want{0.1f, 0.2f, 10.3f, 7.7f};
  for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(b[k], want[k], 1e-5);
  // The written fields: category id = class + 1, area = w * h, one element per line.
  const io::json::Value doc = io::json::parse([&] {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }());
  const auto& ann = doc.find("annotations")->as_array();
  ASSERT_EQ(ann.size(), 3u);
  EXPECT_EQ(ann[0].find("id")->as_int64(), 1);
  EXPECT_EQ(ann[0].find("image_id")->as_int64(), 7);
  EXPECT_EQ(ann[0].find("category_id")->as_int64(), 3);
  EXPECT_EQ(ann[0].find("bbox")->as_array()[2].number_text(), "29.5");
  EXPECT_DOUBLE_EQ(ann[0].find("area")->as_double(), 29.5 * 44.5);
  EXPECT_EQ(ann[0].find("iscrowd")->as_int64(), 0);
  EXPECT_EQ(doc.find("categories")->as_array()[1].find("id")->as_int64(), 2);
  EXPECT_EQ(doc.find("images")->as_array()[0].find("file_name")->as_string(), "img7.png");
}

TEST_F(DetectionIoTest, CocoCategoriesMapInIdOrderAndCrowdIsSkipped) {
  const std::string path = (dir_ / "c.json").string();
  write_file(path, R"({"info": {"year": 2026},
 "images": [{"id": 9, "file_name": "q.png", "width": 100, "height": 50}],
 "annotations": [
  {"id": 1, "image_id": 9, "category_id": 17, "bbox": [10, 5, 20, 10], "iscrowd": 0},
  {"id": 2, "image_id": 9, "category_id": 4, "bbox": [0, 0, 100, 50], "iscrowd": 1},
  {"id": 3, "image_id": 9, "category_id": 4, "bbox": [50, 20, 5, 5]}],
 "categories": [{"id": 17, "name": "zebra"}, {"id": 4, "name": "ant"}, {"id": 8, "name": "bee"}]})");
  const DetectionSet set = read_coco_json(path, "imgs");
  EXPECT_EQ(set.class_names, (std::vector<std::string>{"ant", "bee", "zebra"}));
  ASSERT_EQ(set.records.size(), 1u);
  EXPECT_EQ(to_vector<int64_t>(set.records[0].labels), (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(to_vector<float>(set.records[0].boxes), (std::vector<float>{10, 5, 30, 15, 50, 20, 55, 25}));
}

TEST_F(DetectionIoTest, BadYoloLabelsNameFileAndLine) {
  const std::string file = (dir_ / "labels/a.txt").string();
  auto bad = [&](const std::string& text, const std::vector<std::string>& parts) {
    write_file(file, text);
    expect_label_error([&] { read_yolo_folder(images(), labels(), names_); }, parts);
  };
  const std::string ok = "0 0.5 0.5 0.2 0.2\n";
  bad(ok + ok + "3 0.5 0.5 0.2 0.2\n", {file + ":3:", "class 3 is out of range [0, 3)"});
  bad(ok + "-1 0.5 0.5 0.2 0.2\n", {file + ":2:", "class -1"});
  bad("1 0.9 0.5 0.4 0.2\n", {file + ":1:", "outside the 20x10 image"});
  bad(ok + "1 0.5 0.5 0 0.2\n", {file + ":2:", "not positive"});
  bad(ok + "\n1 0.5 0.5 -0.1 0.2\n", {file + ":3:", "not positive"});
  bad("1 0.5 0.5 0.2\n", {file + ":1:", "malformed line", "expected 5 fields"});
  bad("1 0.5 0.5 0.2 0.2 0.3\n", {file + ":1:", "malformed line"});
  bad("1.5 0.5 0.5 0.2 0.2\n", {file + ":1:", "class '1.5' is not an integer"});
  bad(ok + "1 0.5 abc 0.2 0.2\n", {file + ":2:", "field 3 'abc' is not a number"});
  bad("1 nan 0.5 0.2 0.2\n", {file + ":1:", "non-finite"});
  // Within half a pixel past the border is rounding: accepted and clipped.
  write_file(file, "1 0.5 0.5 1.02 0.2\n");
  const auto set = read_yolo_folder(images(), labels(), names_);
  EXPECT_EQ(to_vector<float>(set.records[0].boxes), (std::vector<float>{0, 4, 20, 6}));
}

TEST_F(DetectionIoTest, BadCocoAnnotationsNameFileAndLine) {
  const std::string path = (dir_ / "bad.json").string();
  const std::string head =
      "{\"images\": [\n {\"id\": 1, \"file_name\": \"a.png\", \"width\": 20, \"height\": 10}\n],\n";
  const std::string cats = "\"categories\": [{\"id\": 1, \"name\": \"a\"}]}\n";
  auto bad = [&](const std::string& ann, const std::vector<std::string>& parts) {
    write_file(path, head +
                         "\"annotations\": [\n {\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, "
                         "2, 2]},\n " +
                         ann + "\n],\n" + cats);
    expect_label_error([&] { read_coco_json(path, "."); }, parts);
  };
  bad(R"({"image_id": 1, "category_id": 1, "bbox": [15, 1, 10, 2]})", {path + ":6:", "outside the 20x10 image"});
  bad(R"({"image_id": 1, "category_id": 1, "bbox": [1, 1, 0, 2]})", {path + ":6:", "non-positive size"});
  bad(R"({"image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2]})", {path + ":6:", "category_id 2"});
  bad(R"({"image_id": 4, "category_id": 1, "bbox": [1, 1, 2, 2]})", {path + ":6:", "image id 4"});
  bad(R"({"image_id": 1, "category_id": 1, "bbox": [1, 1, 2]})", {path + ":6:", "bbox"});
  bad(R"({"image_id": 1, "bbox": [1, 1, 2, 2]})", {path + ":6:", "no 'category_id'"});
  bad(R"({"image_id": 1.5, "category_id": 1, "bbox": [1, 1, 2, 2]})", {path + ":6:", "image_id"});
  bad(R"({"image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]]})", {path + ":6:"});  // json syntax
  EXPECT_THROW(read_coco_json((dir_ / "missing.json").string(), "."), IOError);
}

TEST_F(DetectionIoTest, WritersCheckRecords) {
  DetectionSet set;
  set.class_names = names_;
  set.records.push_back(record("a.png", 0, 20, 10, {1, 1, 30, 5}, {0}));
  expect_label_error([&] { write_coco_json(set, (dir_ / "o.json").string()); }, {"a.png", "box 0", "outside"});
  set.records[0] = record("a.png", 0, 20, 10, {1, 1, 3, 5}, {5});
  expect_label_error([&] { write_yolo_labels(set, (dir_ / "o").string()); }, {"a.png", "class 5"});
}

TEST_F(DetectionIoTest, ClassNamesRoundTrip) {
  const std::string path = (dir_ / "classes.txt").string();
  write_class_names(names_, path);
  EXPECT_EQ(read_class_names(path), names_);
  write_file(path, "a\r\nb\n\nc\n\n");
  expect_label_error([&] { read_class_names(path); }, {path + ":3:", "empty class name"});
  EXPECT_THROW(read_yolo_folder((dir_ / "nope").string(), labels(), names_), IOError);
}
