// MpiEngine (see mpi_engine.h): MPI initialisation, the communicator, and the progress thread that starts queued
// collectives, polls them and fails those past their deadline.
#include "dist/mpi_engine.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "seek/core/error.h"
#include "seek/core/logging.h"

namespace seek::dist::detail {
namespace {

std::atomic<int> g_abandoned{0};  // ops that timed out and have not completed since
bool g_we_initialized = false;    // seek called MPI_Init_thread, so seek finalises MPI at exit

// MPI is finalised at process exit (not by destroy_process_group): MPI can be initialised only once per process,
// and a program may destroy a process group and create another, as with torch.
void finalize_mpi_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (g_abandoned.load() > 0) {
    // A collective that never completed is still posted: MPI_Finalize would wait for it forever. (stderr, not
    // the logger: at exit spdlog's registry may be gone already.)
    std::fprintf(stderr, "seek.distributed: a timed-out collective never completed; MPI is not finalised at exit\n");
    return;
  }
  MPI_Finalize();
}

std::string error_string(int rc) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, buf, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(rc);
  return std::string(buf, static_cast<size_t>(len));
}

// Ops whose requests are still posted when the engine stops: kept (never freed) because MPI may still write into
// their buffers.
std::vector<std::shared_ptr<MpiOp>>& leaked_ops() {
  static auto* ops = new std::vector<std::shared_ptr<MpiOp>>();
  return *ops;
}

}  // namespace

void mpi_check(int rc, const char* call) {
  if (rc != MPI_SUCCESS) throw Error(str("seek.distributed: ", call, " failed: ", error_string(rc)));
}

void MpiWork::wait() {
  std::unique_lock<std::mutex> lock(op_->mutex);
  op_->cv.wait(lock, [&] { return op_->done; });
  if (op_->error) std::rethrow_exception(op_->error);
  if (!op_->waited) {
    op_->waited = true;
    if (op_->on_wait) {
      try {
        op_->on_wait();
      } catch (...) {
        op_->error = std::current_exception();
        throw;
      }
    }
  }
}

bool MpiWork::is_completed() {
  std::lock_guard<std::mutex> lock(op_->mutex);
  return op_->done;
}

bool MpiEngine::has_abandoned_requests() { return g_abandoned.load() > 0; }

MpiEngine::MpiEngine(std::chrono::milliseconds timeout, const std::function<MPI_Comm()>& world) : timeout_(timeout) {
  SEEK_CHECK_VALUE(timeout.count() > 0, "init_process_group: timeout must be positive, got ", timeout.count(), " ms");
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  SEEK_CHECK(!finalized, "init_process_group: MPI was already finalised in this process");
  int provided = 0;
  if (!initialized) {
    mpi_check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
    g_we_initialized = true;
    std::atexit(finalize_mpi_at_exit);
  } else {
    MPI_Query_thread(&provided);
  }
  SEEK_CHECK(provided >= MPI_THREAD_SERIALIZED, "init_process_group: MPI provides thread level ", provided,
             " but seek's MPI engine needs MPI_THREAD_SERIALIZED (a progress thread makes the MPI calls)");
  MPI_Comm base = world ? world() : MPI_COMM_WORLD;
  // The communicator is duplicated with a non-blocking call, so that a rank that never arrives is a timeout too.
  MPI_Request req = MPI_REQUEST_NULL;
  mpi_check(MPI_Comm_idup(base, &comm_, &req), "MPI_Comm_idup");
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (int flag = 0;;) {
    mpi_check(MPI_Test(&req, &flag, MPI_STATUS_IGNORE), "MPI_Test");
    if (flag) break;
    if (std::chrono::steady_clock::now() > deadline) {
      g_abandoned++;
      throw Error(str("seek.distributed: init_process_group timed out after ", timeout_.count(),
                      " ms: not every process of MPI_COMM_WORLD called it"));
    }
    std::this_thread::yield();
  }
  // Joined singletons: only the duplicate stays (freed by shutdown); with a communicator still connecting them,
  // Open MPI's MPI_Finalize at exit hangs or dies of SIGPIPE.
  if (base != MPI_COMM_WORLD) MPI_Comm_free(&base);
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);  // MPI failures become seek::Error, not an abort
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  thread_ = std::thread([this] { progress_loop(); });
}

MpiEngine::~MpiEngine() {
  try {
    shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seek.distributed: shutting down the MPI engine: %s\n", e.what());  // may run at exit
  }
}

std::shared_ptr<MpiOp> MpiEngine::submit(std::shared_ptr<MpiOp> op) {
  op->deadline = std::chrono::steady_clock::now() + timeout_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SEEK_CHECK(!stopping_, "seek.distributed: ", op->name, " called on a process group that was destroyed");
    queue_.push_back(op);
  }
  cv_.notify_one();
  return op;
}

void MpiEngine::run(std::shared_ptr<MpiOp> op) { MpiWork(submit(std::move(op))).wait(); }

void MpiEngine::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + timeout_;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);  // pending (leaked) ops keep their own reference
}

void MpiEngine::fail(MpiOp& op, std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(op.mutex);
    if (op.done) return;
    op.error = std::move(error);
    op.done = true;
  }
  op.cv.notify_all();
}

void MpiEngine::complete(MpiOp& op) {
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(op.mutex);
    if (op.done) return;  // failed already (timed out): its late result is not used
  }
  try {
    if (op.on_complete) op.on_complete();
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(op.mutex);
    op.error = error;
    op.done = true;
  }
  op.cv.notify_all();
}

void MpiEngine::progress_loop() {
  using clock = std::chrono::steady_clock;
  std::vector<std::shared_ptr<MpiOp>> inflight;
  auto last_busy = clock::now();
  for (;;) {
    if (inflight.empty() && clock::now() - last_busy < std::chrono::microseconds(200)) {
      // Back-to-back collectives (DDP's buckets, a training loop's metrics) come within microseconds: poll the
      // queue for a moment before sleeping on the condition variable.
      std::unique_lock<std::mutex> lock(mutex_);
      if (queue_.empty() && !stopping_) {
        lock.unlock();
        std::this_thread::yield();
        continue;
      }
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (inflight.empty()) cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      while (!queue_.empty()) {
        inflight.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      // Stopping: wait (at most the timeout) for collectives in flight, but not for those already timed out.
      if (stopping_ && (clock::now() > stop_deadline_ ||
                        std::all_of(inflight.begin(), inflight.end(), [](const auto& op) { return op->abandoned; })))
        break;
    }
    bool progressed = false;
    const auto now = clock::now();
    last_busy = now;
    for (size_t i = 0; i < inflight.size();) {
      MpiOp& op = *inflight[i];
      if (!op.started) {  // in queue order, so every rank posts its collectives in its call order
        op.started = true;
        try {
          op.start(comm_, op.requests);
        } catch (...) {
          fail(op, std::current_exception());  // requests posted before the failure are still polled
        }
      }
      int flag = 1;
      if (!op.requests.empty()) {
        const int rc =
            MPI_Testall(static_cast<int>(op.requests.size()), op.requests.data(), &flag, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) {
          fail(op, std::make_exception_ptr(Error(str("seek.distributed: ", op.name, " ", op.what, " failed on rank ",
                                                     rank_, " of ", size_, ": ", error_string(rc)))));
          flag = 1;  // MPI reported the requests finished (with an error)
        }
      }
      if (flag) {
        if (op.abandoned) g_abandoned--;  // a timed-out op completed late after all
        complete(op);
        inflight.erase(inflight.begin() + static_cast<std::ptrdiff_t>(i));
        progressed = true;
        continue;
      }
      if (now > op.deadline && !op.abandoned) {
        op.abandoned = true;
        g_abandoned++;
        fail(op, std::make_exception_ptr(
                     Error(str("seek.distributed: ", op.name, op.what.empty() ? "" : " ", op.what, " timed out after ",
                               timeout_.count(), " ms on rank ", rank_, " (world size ", size_,
                               "): not every rank joined this collective (a rank skipped it, is stuck, or exited)"))));
      }
      ++i;
    }
    if (!progressed) std::this_thread::yield();
  }
  // Stopping: ops never started are failed; ops still in flight are kept alive for good (MPI may write into them).
  std::deque<std::shared_ptr<MpiOp>> queued;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued.swap(queue_);
  }
  for (auto& op : queued)
    fail(*op, std::make_exception_ptr(Error(str("seek.distributed: ", op->name, " ", op->what,
                                                " was not run: the process group was destroyed"))));
  for (auto& op : inflight) {
    if (!op->abandoned) g_abandoned++;
    fail(*op, std::make_exception_ptr(Error(str("seek.distributed: ", op->name, " ", op->what,
                                                " did not complete before the process group was destroyed"))));
    leaked_ops().push_back(op);
  }
}

}  // namespace seek::dist::detail
