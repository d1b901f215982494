// collate_detection and DetectionLoader. The loader gives sample k of epoch e a
// Generator of its own, seeded by a hash of (seed, e, k), and the epoch order
// comes from another such generator: a batch is a pure function of (seed, epoch,
// batch index), so workers only change when it is built. Workers claim batch
// indices in order, at most `ahead` past the one the consumer waits for, and
// park the results (or the exception) in a map the consumer reads in order.
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "detection_image.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/data/detection_dataset.h"
#include "seek/data/sampler.h"
#include "seek/ops/shape.h"

namespace seek::data {

using detection_detail::box_vector;
using detection_detail::label_vector;

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The seed of stream `k` of epoch `epoch` (k = ~0 is the epoch's shuffle).
uint64_t stream_seed(uint64_t seed, int64_t epoch, uint64_t k) {
  return splitmix64(splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(epoch)) ^ k);
}

}  // namespace

DetectionBatch collate_detection(std::vector<DetectionSample> samples) {
  SEEK_CHECK_VALUE(!samples.empty(), "collate_detection: no samples");
  const Tensor& first = samples[0].image;
  SEEK_CHECK_SHAPE(first.defined() && first.dim() == 3, "collate_detection: sample 0 has no [C, H, W] image");
  const int64_t c = first.size(0), h = first.size(1), w = first.size(2);
  const auto n = static_cast<int64_t>(samples.size());
  DetectionBatch batch;
  batch.images = empty({n, c, h, w}, TensorOptions(kFloat32));
  float* dst = batch.images.data_ptr<float>();
  std::vector<float> targets;
  for (int64_t i = 0; i < n; ++i) {
    DetectionSample& s = samples[static_cast<size_t>(i)];
    SEEK_CHECK_SHAPE(
        s.image.defined() && s.image.dim() == 3 && s.image.size(0) == c && s.image.size(1) == h && s.image.size(2) == w,
        "collate_detection: sample ", i, " (image_id ", s.image_id, ") has an image of shape ",
        s.image.defined() ? shape_str(s.image.sizes()) : std::string("(none)"), ", sample 0 has [", c, ", ", h, ", ", w,
        "]");
    const Tensor img = s.image.cpu().to(kFloat32).contiguous();
    std::memcpy(dst + i * c * h * w, img.data_ptr<float>(), static_cast<size_t>(c * h * w) * sizeof(float));
    const BoxedImage bi = checked_boxed_image({img, s.boxes, s.labels}, "collate_detection");
    const std::vector<float> b = box_vector(bi.boxes);
    const std::vector<int64_t> l = label_vector(bi.labels);
    for (size_t k = 0; k < l.size(); ++k) {
      const float x1 = b[4 * k], y1 = b[4 * k + 1], x2 = b[4 * k + 2], y2 = b[4 * k + 3];
      targets.insert(targets.end(), {static_cast<float>(i), static_cast<float>(l[k]),
                                     (x1 + x2) / 2.0f / static_cast<float>(w), (y1 + y2) / 2.0f / static_cast<float>(h),
                                     (x2 - x1) / static_cast<float>(w), (y2 - y1) / static_cast<float>(h)});
    }
    batch.counts.push_back(static_cast<int64_t>(l.size()));
    s.image = Tensor();
  }
  const auto t = static_cast<int64_t>(targets.size() / 6);
  batch.targets = empty({t, 6}, TensorOptions(kFloat32));
  if (t > 0) std::memcpy(batch.targets.data_ptr<float>(), targets.data(), targets.size() * sizeof(float));
  batch.samples = std::move(samples);
  return batch;
}

// ---- DetectionLoader ----

struct DetectionLoader::Run {
  const DetectionLoader* loader;
  int64_t epoch;
  std::vector<int64_t> order;
  int64_t num_batches;
  int64_t ahead;
  std::mutex mutex;
  std::condition_variable space, ready_cv;
  struct Result {
    DetectionBatch batch;
    std::exception_ptr error;
  };
  std::map<int64_t, Result> ready;
  int64_t next_claim = 0;
  int64_t waiting_for = 0;
  bool stop = false;
  std::vector<std::thread> threads;

  Run(const DetectionLoader* l, int64_t workers)
      : loader(l),
        epoch(l->epoch_),
        order(l->epoch_indices(l->epoch_)),
        num_batches(l->num_batches()),
        ahead(2 * workers) {
    for (int64_t k = 0; k < workers; ++k) threads.emplace_back([this] { work(); });
  }
  ~Run() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    space.notify_all();
    for (auto& t : threads) t.join();
  }

  void work() {
    for (;;) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(mutex);
        space.wait(lock, [&] { return stop || next_claim >= num_batches || next_claim < waiting_for + ahead; });
        if (stop || next_claim >= num_batches) return;
        b = next_claim++;
      }
      Result r;
      try {
        r.batch = loader->build(order, epoch, b);
      } catch (...) {
        r.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        ready[b] = std::move(r);
      }
      ready_cv.notify_all();
    }
  }

  DetectionBatch take(int64_t b) {
    if (threads.empty()) return loader->build(order, epoch, b);
    Result r;
    {
      std::unique_lock<std::mutex> lock(mutex);
      waiting_for = b;
      space.notify_all();
      ready_cv.wait(lock, [&] { return ready.count(b) > 0; });
      r = std::move(ready[b]);
      ready.erase(b);
      waiting_for = b + 1;
    }
    space.notify_all();
    if (r.error) std::rethrow_exception(r.error);
    return std::move(r.batch);
  }
};

DetectionLoader::DetectionLoader(std::shared_ptr<const DetectionDataset> dataset, int64_t batch_size, bool shuffle,
                                 uint64_t seed, int64_t num_workers, bool drop_last)
    : dataset_(std::move(dataset)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      seed_(seed),
      num_workers_(num_workers),
      drop_last_(drop_last) {
  SEEK_CHECK_VALUE(dataset_ != nullptr, "DetectionLoader: no dataset");
  SEEK_CHECK_VALUE(batch_size_ > 0, "DetectionLoader: batch_size must be positive, got ", batch_size_);
  SEEK_CHECK_VALUE(num_workers_ >= 0, "DetectionLoader: num_workers must be >= 0, got ", num_workers_);
}

DetectionLoader::~DetectionLoader() = default;

void DetectionLoader::set_epoch(int64_t epoch) {
  SEEK_CHECK_VALUE(epoch >= 0, "DetectionLoader::set_epoch: epoch must be >= 0, got ", epoch);
  epoch_ = epoch;
}

void DetectionLoader::set_shard(int64_t num_replicas, int64_t rank) {
  SEEK_CHECK_VALUE(num_replicas >= 1, "DetectionLoader::set_shard: num_replicas must be >= 1, got ", num_replicas);
  SEEK_CHECK_VALUE(rank >= 0 && rank < num_replicas, "DetectionLoader::set_shard: rank ", rank, " out of range for ",
                   num_replicas, " replicas");
  num_replicas_ = num_replicas;
  rank_ = rank;
}

int64_t DetectionLoader::num_batches() const {
  const int64_t n = (dataset_->size() + num_replicas_ - 1) / num_replicas_;
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

std::vector<int64_t> DetectionLoader::epoch_indices(int64_t epoch) const {
  const int64_t n = dataset_->size();
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  if (shuffle_) {  // Fisher-Yates from the epoch's own stream
    Generator g(stream_seed(seed_, epoch, ~uint64_t{0}));
    for (int64_t i = n - 1; i > 0; --i) {
      const auto j = std::min<int64_t>(static_cast<int64_t>(draw_uniform(&g, 0.0, static_cast<double>(i + 1))), i);
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
  }
  if (num_replicas_ == 1) return order;
  // DistributedSampler's partition rule, applied to the positions of this epoch's order.
  const DistributedSampler deal(static_cast<size_t>(n), static_cast<int>(num_replicas_), static_cast<int>(rank_),
                                {.shuffle = false});
  std::vector<int64_t> share;
  for (const size_t position : deal.indices(0)) share.push_back(order[position]);
  return share;
}

DetectionBatch DetectionLoader::build(const std::vector<int64_t>& order, int64_t epoch, int64_t b) const {
  const int64_t begin = b * batch_size_;
  const int64_t end = std::min<int64_t>(begin + batch_size_, static_cast<int64_t>(order.size()));
  std::vector<DetectionSample> samples;
  samples.reserve(static_cast<size_t>(end - begin));
  for (int64_t k = begin; k < end; ++k) {
    Generator g(stream_seed(seed_, epoch, static_cast<uint64_t>(k * num_replicas_ + rank_)));  // position in the epoch
    samples.push_back(dataset_->get(order[static_cast<size_t>(k)], &g));
  }
  return collate_detection(std::move(samples));
}

DetectionBatch DetectionLoader::make_batch(int64_t b) const {
  SEEK_CHECK_INDEX(b >= 0 && b < num_batches(), "DetectionLoader::make_batch: batch ", b, " out of range for ",
                   num_batches(), " batches");
  return build(epoch_indices(epoch_), epoch_, b);
}

DetectionLoader::Iterator::Iterator(std::shared_ptr<Run> run, int64_t batch) : run_(std::move(run)), batch_(batch) {
  if (run_ != nullptr) fetch();
}

void DetectionLoader::Iterator::fetch() {
  if (batch_ >= run_->num_batches) {
    run_.reset();  // joins the workers
    return;
  }
  current_ = run_->take(batch_);
}

DetectionLoader::Iterator& DetectionLoader::Iterator::operator++() {
  ++batch_;
  if (run_ != nullptr) fetch();
  return *this;
}

DetectionLoader::Iterator DetectionLoader::begin() {
  const int64_t workers = num_batches() > 0 ? num_workers_ : 0;
  return Iterator(std::make_shared<Run>(this, workers), 0);
}

DetectionLoader::Iterator DetectionLoader::end() { return Iterator(nullptr, num_batches()); }

}  // namespace seek::data
