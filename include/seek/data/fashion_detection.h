#pragma once
// A detection data set made from Fashion-MNIST: several items of varied scale on each
// canvas, little overlap, unlabelled clutter, and boxes that are the tight bounding box of
// each item's drawn pixels. Written as YOLO folders + COCO json; the same seed gives the
// same files whatever the thread count (every image has its own random stream, seeded from
// the seed, the split and the image's index).
//
// Layout of out_dir: classes.txt (the 10 Fashion-MNIST class names), {train,val,test}/
// images/NNNNNN.png + labels/NNNNNN.txt (image_id = NNNNNN = position), {train,val,test}.json
// (COCO, file names relative to <split>/images). Train items come from the Fashion-MNIST
// train split, val and test items from the t10k split (so no item image is shared).
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/data/detection_io.h"

namespace seek::data {

struct FashionDetectionOptions {
  int64_t canvas = 128;                  // square images, canvas x canvas RGB
  int64_t min_items = 2, max_items = 6;  // labelled items per val / test image (uniform count)
  // Per train image: denser canvases show a short training budget more items per image of compute (see
  // docs/yolo.md, "Results"); -1: min_items / max_items. The val and test images do not depend on these.
  int64_t train_min_items = 6, train_max_items = 10;
  int64_t min_item_size = 20;                     // side of the scaled 28x28 item frame, pixels
  int64_t max_item_size = 56;                     //   (log-uniform; the aspect is kept)
  double max_iou = 0.2;                           // between the boxes of two items
  double max_cover = 0.35;                        // of the smaller box's area covered by another box
  double item_threshold = 0.1;                    // item pixels above this (of 1) are drawn and boxed
  double noise = 0.04;                            // background luminance noise amplitude (0: none)
  double gradient = 0.15;                         // background colour change across the image (0: flat)
  int64_t max_lines = 4;                          // unlabelled line fragments per image (0..max)
  int64_t max_pieces = 3;                         // unlabelled cut pieces of items per image (0..max)
  int64_t train = 8000, val = 1000, test = 1000;  // images per split
  uint64_t seed = 0;
  int64_t num_threads = 0;  // 0: std::thread::hardware_concurrency()
  bool overwrite = false;   // replace existing split folders (else an error)
};

// The 10 Fashion-MNIST class names, in label order ("T-shirt/top", "Trouser", ...).
const std::vector<std::string>& fashion_mnist_class_names();

struct FashionDetectionResult {
  DetectionSet train, val, test;  // what was written (image paths under out_dir)
  double seconds = 0;             // wall time of the generation and writing
};

// Generates the set from the Fashion-MNIST IDX files in mnist_dir (data::MNIST's layout)
// into out_dir (created if missing). Throws ValueError for bad options, IOError when the
// IDX files cannot be read or a split folder already holds files and overwrite is false.
FashionDetectionResult make_fashion_detection(const std::string& mnist_dir, const std::string& out_dir,
                                              const FashionDetectionOptions& options = {});

// One image in memory, drawn as make_fashion_detection draws image `index` of a split whose
// items are `items` (uint8 [N, 28, 28] or any [N, h, w]) with labels `item_labels` (int64
// [N]); image_seed is the image's own seed (fashion_detection_image_seed).
struct RenderedDetection {
  Tensor image;   // uint8 [3, canvas, canvas]
  Tensor boxes;   // float32 [n, 4] xyxy pixels
  Tensor labels;  // int64 [n]
};
RenderedDetection render_fashion_detection(const Tensor& items, const Tensor& item_labels,
                                           const FashionDetectionOptions& options, uint64_t image_seed);
// The seed of image `index` of split 0 (train), 1 (val) or 2 (test).
uint64_t fashion_detection_image_seed(uint64_t seed, int64_t split, int64_t index);

}  // namespace seek::data
