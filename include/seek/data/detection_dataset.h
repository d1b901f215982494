#pragma once
// DetectionDataset (YOLOv5's LoadImagesAndLabels on a DetectionSet), its collate
// and DetectionLoader, which builds batches ahead on worker threads.
//
// A TRAINING SAMPLE (augmenting = true) follows YOLOv5's __getitem__: with
// probability `mosaic`, four images (this one and three drawn at random, each
// resized so its longer side is img_size) are put on a 2 S canvas around a
// random centre and random_perspective (border -S/2) warps the canvas to S x S;
// otherwise the image is letterboxed to S and random_perspective (border 0)
// warps it. Then HSV jitter, a vertical flip with probability flipud and a
// horizontal flip with probability fliplr. Boxes follow every step; those left
// too small or cut too much are dropped (box_candidates). Without augmenting a
// sample is the letterboxed image (the ratio and padding recorded for mapping
// predictions back).
//
// DETERMINISM. get(index, generator) draws everything from `generator`. The
// loader gives sample k of epoch e its own Generator seeded from (seed, e, k), so
// batches depend only on (seed, epoch), never on the number of workers.
#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"
#include "seek/data/detection_io.h"
#include "seek/data/detection_transforms.h"

namespace seek::data {

struct DetectionSample {
  Tensor image;   // float32 [3, S, S] in [0, 1] (after letterbox/augmentation)
  Tensor boxes;   // float32 [n, 4] xyxy in this image's pixels
  Tensor labels;  // int64 [n]
  int64_t image_id = 0;
  int64_t orig_height = 0, orig_width = 0;
  double ratio = 1.0;
  double pad_x = 0.0, pad_y = 0.0;  // letterbox: x_new = x_orig * ratio + pad_x
  // (Exact for samples built without augmenting. Augmented samples record the
  // letterbox before the random warp, or for a mosaic the first image's
  // long-side resize ratio with no padding: meta data only.)
};

struct DetectionAugment {
  int64_t img_size = 128;
  double mosaic = 1.0;
  double degrees = 0.0;
  double translate = 0.1;
  double scale = 0.5;
  double shear = 0.0;
  double fliplr = 0.5;
  double flipud = 0.0;
  double hsv_h = 0.015, hsv_s = 0.7, hsv_v = 0.4;
  int64_t pad_value = 114;  // of 255
  double min_box_size = 2.0;
  // Added beside the contract: the projective terms and box_candidates' area
  // threshold (YOLOv5's perspective = 0 and area_thr = 0.1).
  double perspective = 0.0;
  double area_thr = 0.1;
};

class DetectionDataset {  // images decoded as data::read_image (image_folder.h) does, RGB
 public:
  // Checks every record (boxes float [n, 4] with x1 <= x2, y1 <= y2, labels
  // integral [n] in [0, classes) when class names are given) and the options;
  // errors name the image.
  DetectionDataset(DetectionSet set, DetectionAugment augment, bool augmenting);
  int64_t size() const;
  // augmenting = false: letterbox only (no draws). Thread-safe.
  DetectionSample get(int64_t index, Generator* generator) const;
  const DetectionSet& set() const;
  const DetectionAugment& augment() const { return augment_; }
  bool augmenting() const { return augmenting_; }
  // Decodes every image once (resized so the longer side is img_size, as
  // YOLOv5's --cache ram) and keeps it in memory; get() then reads no file.
  // Call before sharing the dataset between threads.
  void cache_images();
  bool cached() const { return !cache_.empty(); }

 private:
  struct Loaded {
    BoxedImage image;  // longer side img_size, boxes scaled by ratio
    double ratio = 1.0;
    int64_t orig_height = 0, orig_width = 0;
  };
  Loaded load_resized(int64_t index) const;
  Loaded decode(int64_t index) const;
  DetectionSet set_;
  DetectionAugment augment_;
  bool augmenting_;
  std::vector<Loaded> cache_;
};

struct DetectionBatch {
  Tensor images;                         // float32 [B, 3, S, S]
  Tensor targets;                        // float32 [T, 6]: (batch index, class, cx, cy, w, h), cx..h / S
  std::vector<int64_t> counts;           // boxes per image
  std::vector<DetectionSample> samples;  // with their image tensors released (meta data for mAP)
};
// Stacks the images (all of one size) and lists the boxes image by image.
DetectionBatch collate_detection(std::vector<DetectionSample> samples);

// Batches in a seeded shuffled order (a new order each epoch), built ahead by
// num_workers threads (0: built by the iterating thread) at most
// 2 * num_workers batches ahead; yielded in order. An exception thrown while
// building batch b is re-thrown when the iteration reaches b. One iteration at a
// time; an iterator left early stops its workers when destroyed.
class DetectionLoader {
  struct Run;

 public:
  DetectionLoader(std::shared_ptr<const DetectionDataset> dataset, int64_t batch_size, bool shuffle, uint64_t seed,
                  int64_t num_workers = 1, bool drop_last = false);
  ~DetectionLoader();
  DetectionLoader(const DetectionLoader&) = delete;
  DetectionLoader& operator=(const DetectionLoader&) = delete;

  void set_epoch(int64_t epoch);
  int64_t epoch() const { return epoch_; }
  // Data parallel (torch's DistributedSampler): this loader visits the share of replica `rank` of
  // `num_replicas`, every num_replicas-th index of the epoch's order (padded by wrapping to a multiple of
  // num_replicas, so every rank has as many batches). A sample's augmentation stream is keyed by its
  // position in the whole epoch, so the ranks' shares are augmented as one loader would augment them.
  void set_shard(int64_t num_replicas, int64_t rank);
  int64_t num_batches() const;
  // The dataset indices of an epoch in visiting order (this replica's share).
  std::vector<int64_t> epoch_indices(int64_t epoch) const;
  // Builds batch b of the current epoch on the calling thread.
  DetectionBatch make_batch(int64_t b) const;

  class Iterator {
   public:
    using value_type = DetectionBatch;
    using difference_type = std::ptrdiff_t;
    using reference = DetectionBatch&;
    using pointer = DetectionBatch*;
    using iterator_category = std::input_iterator_tag;

    Iterator() = default;
    DetectionBatch& operator*() { return current_; }
    DetectionBatch* operator->() { return &current_; }
    Iterator& operator++();
    bool operator==(const Iterator& o) const { return batch_ == o.batch_; }
    bool operator!=(const Iterator& o) const { return !(*this == o); }

   private:
    friend class DetectionLoader;
    Iterator(std::shared_ptr<Run> run, int64_t batch);
    void fetch();
    std::shared_ptr<Run> run_;
    int64_t batch_ = 0;
    DetectionBatch current_;
  };
  Iterator begin();
  Iterator end();

 private:
  std::shared_ptr<const DetectionDataset> dataset_;
  int64_t batch_size_;
  bool shuffle_;
  uint64_t seed_;
  int64_t num_workers_;
  bool drop_last_;
  int64_t epoch_ = 0;
  int64_t num_replicas_ = 1, rank_ = 0;
  DetectionBatch build(const std::vector<int64_t>& order, int64_t epoch, int64_t b) const;
};

}  // namespace seek::data
