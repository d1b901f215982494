// yolo_data: makes the Fashion-MNIST detection set and reports on detection sets.
//   yolo_data generate --mnist DIR --out DIR [--train N --val N --test N --seed S ...]
//   yolo_data stats --data DIR/train | FILE.json [--anchors K] [--bins N] [--seed S]
// Exit codes: 0 done, 2 bad arguments or missing / unreadable data, 1 any other error.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "common/cli.h"
#include "seek/data/detection_io.h"
#include "seek/data/detection_stats.h"
#include "seek/data/fashion_detection.h"
#include "seek/seek.h"

namespace fs = std::filesystem;
using namespace seek;
using seek::examples::to_double;
using seek::examples::to_int;
using seek::examples::UsageError;

namespace {

void usage(std::ostream& os) {
  os << "usage: yolo_data generate --mnist DIR --out DIR [--train N] [--val N] [--test N] [--seed S]\n"
        "                          [--canvas N] [--min-items N] [--max-items N] [--train-min-items N]\n"
        "                          [--train-max-items N] [--min-size N] [--max-size N]\n"
        "                          [--max-iou X] [--noise X] [--lines N] [--pieces N] [--threads N] [--overwrite]\n"
        "       yolo_data stats --data DIR|FILE.json [--anchors K] [--bins N] [--seed S]\n"
        "  generate: the Fashion-MNIST detection set (defaults 8000 / 1000 / 1000 images of 128x128, items of\n"
        "            20-56 px, 6-10 per train image and 2-6 per val / test image; --train-min-items -1\n"
        "            --train-max-items -1: the train images as the others) as DIR/{train,val,test}/{images,labels},\n"
        "            DIR/{train,val,test}.json, classes.txt\n"
        "  stats:    boxes per image, class balance, box sizes and k-means anchors (3 scales x K, default 3) of a\n"
        "            YOLO split folder (images/ + labels/; classes.txt in it or its parent) or a COCO json\n";
}

struct Args {
  std::string command, mnist, out, data;
  data::FashionDetectionOptions gen;
  int64_t anchors = 3, bins = 10;
  uint64_t seed = 0;
};

Args parse(int argc, char** argv) {
  if (argc < 2) throw UsageError("expected a command: generate or stats");
  Args a;
  a.command = argv[1];
  if (a.command != "generate" && a.command != "stats") throw UsageError("unknown command '" + a.command + "'");
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--overwrite") {
      a.gen.overwrite = true;
      continue;
    }
    if (i + 1 >= argc) throw UsageError(flag + " expects a value");
    const std::string v = argv[++i];
    if (flag == "--mnist")
      a.mnist = v;
    else if (flag == "--out")
      a.out = v;
    else if (flag == "--data")
      a.data = v;
    else if (flag == "--train")
      a.gen.train = to_int(flag, v, 0);
    else if (flag == "--val")
      a.gen.val = to_int(flag, v, 0);
    else if (flag == "--test")
      a.gen.test = to_int(flag, v, 0);
    else if (flag == "--seed")
      a.gen.seed = a.seed = static_cast<uint64_t>(to_int(flag, v, 0));
    else if (flag == "--canvas")
      a.gen.canvas = to_int(flag, v, 8);
    else if (flag == "--min-items")
      a.gen.min_items = to_int(flag, v, 0);
    else if (flag == "--max-items")
      a.gen.max_items = to_int(flag, v, 0);
    else if (flag == "--train-min-items")
      a.gen.train_min_items = to_int(flag, v, -1);
    else if (flag == "--train-max-items")
      a.gen.train_max_items = to_int(flag, v, -1);
    else if (flag == "--min-size")
      a.gen.min_item_size = to_int(flag, v, 4);
    else if (flag == "--max-size")
      a.gen.max_item_size = to_int(flag, v, 4);
    else if (flag == "--max-iou")
      a.gen.max_iou = to_double(flag, v, 0);
    else if (flag == "--noise")
      a.gen.noise = to_double(flag, v, 0);
    else if (flag == "--lines")
      a.gen.max_lines = to_int(flag, v, 0);
    else if (flag == "--pieces")
      a.gen.max_pieces = to_int(flag, v, 0);
    else if (flag == "--threads")
      a.gen.num_threads = to_int(flag, v, 0);
    else if (flag == "--anchors")
      a.anchors = to_int(flag, v, 1);
    else if (flag == "--bins")
      a.bins = to_int(flag, v, 1);
    else
      throw UsageError("unknown flag '" + flag + "'");
  }
  if (a.command == "generate" && (a.mnist.empty() || a.out.empty()))
    throw UsageError("generate needs --mnist DIR and --out DIR");
  if (a.command == "stats" && a.data.empty()) throw UsageError("stats needs --data DIR or --data FILE.json");
  return a;
}

int generate(const Args& a) {
  const auto result = data::make_fashion_detection(a.mnist, a.out, a.gen);
  const int64_t images = a.gen.train + a.gen.val + a.gen.test;
  int64_t boxes = 0;
  for (const auto* set : {&result.train, &result.val, &result.test})
    for (const auto& r : set->records) boxes += r.labels.size(0);
  std::printf(
      "generated %lld / %lld / %lld images (train / val / test), %lld boxes, in %.2f s (%.0f images/s) "
      "into %s\n",
      static_cast<long long>(a.gen.train), static_cast<long long>(a.gen.val), static_cast<long long>(a.gen.test),
      static_cast<long long>(boxes), result.seconds,
      result.seconds > 0 ? static_cast<double>(images) / result.seconds : 0.0, a.out.c_str());
  return 0;
}

data::DetectionSet load(const std::string& path) {
  const fs::path p(path);
  if (p.extension() == ".json") return data::read_coco_json(path, p.parent_path().string());
  std::vector<std::string> names;
  for (const fs::path& c : {p / "classes.txt", p.parent_path() / "classes.txt"})
    if (fs::exists(c)) {
      names = data::read_class_names(c.string());
      break;
    }
  return data::read_yolo_folder((p / "images").string(), (p / "labels").string(), names);
}

int stats(const Args& a) {
  const data::DetectionSet set = load(a.data);
  const data::DetectionStats s = data::detection_stats(set, a.bins);
  std::cout << a.data << "\n" << s.summary();
  if (s.boxes >= 3 * a.anchors)
    std::cout << data::anchor_summary(s.wh, 3, a.anchors, a.seed);
  else
    std::cout << "too few boxes (" << s.boxes << ") for " << 3 * a.anchors << " anchors\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = seek::examples::parse_or_usage("yolo_data", argc, argv, parse, usage);
  if (!args) return 2;
  try {
    return args->command == "generate" ? generate(*args) : stats(*args);
  } catch (const IOError& e) {
    std::cerr << "yolo_data: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "yolo_data: " << e.what() << "\n";
    return 1;
  }
}
