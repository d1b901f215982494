// MpiEngine: one communicator and one progress thread that owns every MPI call between init and shutdown.
//
// THE TRICK. MPI's non-blocking collectives (MPI_Iallreduce, ...) only make progress while some thread is inside
// MPI, and a blocking MPI call can never time out. So a collective is queued as an MpiOp (a function that starts
// its MPI_I* requests, and what to do when they complete); the progress thread starts ops in queue order (every
// rank starts them in its own call order, which is what MPI matches), polls MPI_Testall on those in flight and
// checks each op's deadline. An op past its deadline is failed with a seek::Error naming it; its requests stay with
// the engine (MPI cannot cancel a collective), so its buffers stay alive, and if the late rank joins after all,
// the collective still completes in order and later ones match again.
// While collectives are in flight (and for 200 us after the last, for back-to-back calls) the thread polls,
// yielding the core between polls (MPI's non-blocking collectives progress only inside MPI calls); otherwise it
// sleeps on a condition variable.
//
// Threading: MPI is initialised with MPI_THREAD_SERIALIZED; after init only the progress thread calls MPI (init,
// communicator set-up and finalisation happen on the caller's thread while no progress thread runs).
#pragma once

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "seek/dist/process_group.h"

namespace seek::dist::detail {

struct MpiOp {
  std::string name;  // "all_reduce"
  std::string what;  // "(sum) of a float32 tensor of sizes [4, 3]": for error messages
  // Progress thread: starts the MPI_I* calls; appends their requests.
  std::function<void(MPI_Comm, std::vector<MPI_Request>&)> start;
  // Progress thread, after every request completed: host-side work (Avg division, copies into CPU tensors).
  std::function<void()> on_complete;
  // The waiting thread, once, in wait(): copies into CUDA tensors (on that thread's current stream).
  std::function<void()> on_wait;

  std::vector<MPI_Request> requests;
  std::chrono::steady_clock::time_point deadline;
  bool started = false;    // progress thread only
  bool abandoned = false;  // progress thread only: timed out, requests still posted

  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;    // completed or failed
  bool waited = false;  // on_wait ran
  std::exception_ptr error;
};

class MpiWork final : public Work {
 public:
  explicit MpiWork(std::shared_ptr<MpiOp> op) : op_(std::move(op)) {}
  void wait() override;
  bool is_completed() override;

 private:
  std::shared_ptr<MpiOp> op_;
};

// Throws seek::Error with MPI's message when rc is not MPI_SUCCESS.
void mpi_check(int rc, const char* call);

class MpiEngine {
 public:
  // Initialises MPI when nobody has (MPI_THREAD_SERIALIZED; MPI is finalised at process exit), duplicates
  // MPI_COMM_WORLD (or the communicator `world` returns after MPI_Init, which the engine then frees: a torch-style
  // launch joins singletons, mpi_store_bootstrap.h) and starts the progress thread.
  explicit MpiEngine(std::chrono::milliseconds timeout, const std::function<MPI_Comm()>& world = {});
  ~MpiEngine();  // shutdown()
  MpiEngine(const MpiEngine&) = delete;
  MpiEngine& operator=(const MpiEngine&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // Queues `op` (deadline: now + timeout) and returns its handle.
  std::shared_ptr<MpiOp> submit(std::shared_ptr<MpiOp> op);
  // submit + wait: rethrows the op's error.
  void run(std::shared_ptr<MpiOp> op);

  // Waits (at most the timeout) for ops in flight, stops the thread and frees the communicator.
  void shutdown();

  // Every op the engine still holds that never completed (after a timeout): while there are some, MPI cannot be
  // finalised safely.
  static bool has_abandoned_requests();

 private:
  void progress_loop();
  void fail(MpiOp& op, std::exception_ptr error);
  void complete(MpiOp& op);

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::chrono::milliseconds timeout_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<MpiOp>> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::thread thread_;
  bool shut_down_ = false;
};

}  // namespace seek::dist::detail
