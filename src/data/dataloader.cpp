// DataLoader: batch order, worker threads with a bounded prefetch window, and
// the resumable position. See seek/data/dataloader.h for the semantics.
#include "seek/data/dataloader.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "seek/core/error.h"
#include "seek/core/logging.h"
#include "seek/cuda.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "seek/ops/shape.h"

namespace seek::data {

Batch default_collate(const std::vector<Example>& examples) {
  SEEK_CHECK_VALUE(!examples.empty(), "default_collate: no examples to collate");
  std::vector<Tensor> data, target;
  data.reserve(examples.size());
  target.reserve(examples.size());
  for (const auto& e : examples) {
    data.push_back(e.data);
    target.push_back(e.target);
  }
  return {stack(data, 0), stack(target, 0)};
}

// One pass over batches [start, end) of one epoch's order. Holds its own copies
// of what the workers need, so workers never touch the DataLoader.
//
// Lifetime: each worker holds a shared_ptr to its Run, and the iterators share a handle
// whose deleter stops the workers. Python's garbage collector can drop the last iterator
// from inside a worker (while it runs a Python transform); that worker cannot join itself,
// so it is detached, and its own shared_ptr keeps the Run alive until it returns.
struct DataLoader::Run : std::enable_shared_from_this<Run> {
  DatasetPtr dataset;
  IndexedCollateFn collate;
  uint64_t epoch;
  std::vector<size_t> order;
  size_t batch_size, end;
  size_t window;  // batches that may be claimed ahead of the consumer

  std::mutex mutex;
  std::condition_variable cv;
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };
  std::map<size_t, Slot> ready;
  size_t next_claim, consumer;
  bool stop = false;
  std::vector<std::thread> threads;

  Run(DatasetPtr ds, IndexedCollateFn c, uint64_t ep, std::vector<size_t> o, size_t bs, size_t start, size_t end_,
      size_t workers, size_t prefetch)
      : dataset(std::move(ds)),
        collate(std::move(c)),
        epoch(ep),
        order(std::move(o)),
        batch_size(bs),
        end(end_),
        window(workers * prefetch),
        next_claim(start),
        consumer(start),
        workers(workers) {}

  const size_t workers;

  void start() {
    try {
      for (size_t w = 0; w < workers; ++w) threads.emplace_back([self = shared_from_this()] { self->work(); });
    } catch (...) {
      shutdown();
      throw;
    }
  }

  // Stops the workers and waits for them; the calling thread, when it is one of them, is detached.
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    cv.notify_all();
    for (auto& t : threads) {
      if (!t.joinable()) continue;
      if (t.get_id() == std::this_thread::get_id())
        t.detach();
      else
        t.join();
    }
    threads.clear();
  }

  Batch build(size_t b) const {
    const size_t lo = b * batch_size, hi = std::min(lo + batch_size, order.size());
    std::vector<Example> examples;
    examples.reserve(hi - lo);
    for (size_t k = lo; k < hi; ++k) examples.push_back(dataset->get(order[k], epoch));
    return collate(examples, BatchInfo{epoch, b});
  }

  void work() {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      cv.wait(lock, [&] { return stop || next_claim >= end || next_claim < consumer + window; });
      if (stop || next_claim >= end) return;
      const size_t b = next_claim++;
      lock.unlock();
      Slot slot;
      try {
        slot.batch = build(b);
      } catch (...) {
        slot.error = std::current_exception();
      }
      lock.lock();
      ready.emplace(b, std::move(slot));
      cv.notify_all();
    }
  }

  // Batch b (the consumer asks in increasing order); re-throws a worker's error.
  Batch take(size_t b) {
    if (threads.empty()) return build(b);
    std::unique_lock<std::mutex> lock(mutex);
    consumer = b;
    cv.notify_all();
    cv.wait(lock, [&] { return ready.count(b) > 0; });
    Slot slot = std::move(ready.at(b));
    ready.erase(b);
    consumer = b + 1;
    lock.unlock();
    cv.notify_all();
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.batch);
  }
};

DataLoader::DataLoader(DatasetPtr dataset, DataLoaderOptions options, CollateFn collate)
    : DataLoader(std::move(dataset), options,
                 collate ? IndexedCollateFn([collate](const std::vector<Example>& examples, const BatchInfo&) {
                   return collate(examples);
                 })
                         : IndexedCollateFn()) {}

DataLoader::DataLoader(DatasetPtr dataset, DataLoaderOptions options, IndexedCollateFn collate)
    : dataset_(std::move(dataset)), options_(options), collate_(std::move(collate)) {
  SEEK_CHECK_VALUE(dataset_ != nullptr, "DataLoader: dataset is null");
  SEEK_CHECK_VALUE(options_.batch_size > 0, "DataLoader: batch_size must be positive, got 0");
  SEEK_CHECK_VALUE(options_.prefetch_factor > 0, "DataLoader: prefetch_factor must be positive, got 0");
  SEEK_CHECK_VALUE(static_cast<bool>(collate_), "DataLoader: collate function is empty");
  SEEK_CHECK_VALUE(!(options_.sampler && options_.shuffle),
                   "DataLoader: sampler option is mutually exclusive with shuffle (the sampler orders the indices)");
}

DataLoader::~DataLoader() = default;

size_t DataLoader::len() const {
  const size_t n = options_.sampler ? options_.sampler->size() : dataset_->size(), bs = options_.batch_size;
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

void DataLoader::set_epoch(uint64_t epoch) { state_ = {epoch, 0}; }

void DataLoader::load_state(const DataLoaderState& state) {
  SEEK_CHECK_INDEX(state.next_batch <= len(), "DataLoader::load_state: next_batch ", state.next_batch, " is past the ",
                   len(), " batches of an epoch");
  state_ = state;
}

std::vector<size_t> DataLoader::epoch_indices(uint64_t epoch) const {
  const size_t n = dataset_->size();
  if (options_.sampler) {
    auto order = options_.sampler->indices(epoch);
    for (size_t i : order)
      SEEK_CHECK_INDEX(i < n, "DataLoader: the sampler gave index ", i, " for a dataset of ", n, " examples");
    return order;
  }
  std::vector<size_t> order(n);
  if (!options_.shuffle || n == 0) {
    for (size_t i = 0; i < n; ++i) order[i] = i;
    return order;
  }
  Generator gen(options_.seed);
  gen.set_offset(epoch * static_cast<uint64_t>(n));
  auto perm = to_vector<int64_t>(randperm(static_cast<int64_t>(n), TensorOptions(kInt64), &gen));
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<size_t>(perm[i]);
  return order;
}

DataLoader::Iterator DataLoader::begin() {
  const size_t start = state_.next_batch, stop = len();
  if (start >= stop) {
    state_.next_batch = 0;  // the epoch was already done: this iteration is empty
    return end();
  }
  IndexedCollateFn collate = collate_;
  if (options_.pin_memory) {
    if (cuda::is_available()) {
      collate = [inner = collate_](const std::vector<Example>& examples, const BatchInfo& info) {
        Batch b = inner(examples, info);
        if (b.data.defined() && b.data.is_cpu()) b.data = b.data.pin_memory();
        if (b.target.defined() && b.target.is_cpu()) b.target = b.target.pin_memory();
        return b;
      };
    } else {
      static std::once_flag warned;
      std::call_once(warned, [] {
        logging::warn(str("DataLoader: pin_memory=true but no CUDA GPU is visible; batches are not pinned (",
                          cuda::build_info(), ")"));
      });
    }
  }
  auto run = std::make_shared<Run>(dataset_, collate, state_.epoch, epoch_indices(state_.epoch), options_.batch_size,
                                   start, stop, options_.num_workers, options_.prefetch_factor);
  run->start();
  // The iterators' handle: when the last one lets go, the workers stop (see Run).
  std::shared_ptr<Run> handle(run.get(), [keep = run](Run* r) mutable {
    r->shutdown();
    keep.reset();
  });
  return Iterator(this, std::move(handle), start);
}

DataLoader::Iterator DataLoader::end() {
  Iterator it;
  it.loader_ = this;
  it.batch_ = len();
  return it;
}

DataLoader::Iterator::Iterator(DataLoader* loader, std::shared_ptr<Run> run, size_t batch)
    : loader_(loader), run_(std::move(run)), batch_(batch) {
  fetch();
}

void DataLoader::Iterator::fetch() {
  current_ = run_->take(batch_);
  loader_->state_.next_batch = batch_ + 1;  // only once batch_ was built
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  SEEK_CHECK_INDEX(run_ != nullptr, "DataLoader::Iterator: increment past the end");
  ++batch_;
  if (batch_ < run_->end) {
    fetch();
  } else {
    loader_->state_.next_batch = 0;
    current_ = Batch{};
    run_.reset();  // joins the workers
  }
  return *this;
}

}  // namespace seek::data
