#pragma once
// seek::nn::DistributedDataParallel: data-parallel training over a seek::dist process group (torch's DDP).
//
//   dist::init_process_group("mpi");
//   auto ddp = std::make_shared<nn::DistributedDataParallel>(model);   // broadcasts rank 0's state
//   loss_fn(ddp->forward(x_local), y_local).backward();                 // grads averaged over the ranks
//   { auto guard = ddp->no_sync(); ...backward... }                      // accumulate locally
//
// The Reducer does the gradient work. Parameters are grouped into buckets in reverse registration order
// (about the order backward produces their gradients), up to bucket_cap_mb each (the first, as torch's, up to
// 1 MiB, so that communication starts early), one dtype and device per bucket. A hook on every parameter copies its gradient (plus what .grad already holds, so no_sync
// accumulation is included) into its bucket's flat buffer; when the last gradient of a bucket arrives, the
// bucket's all-reduce (average) starts asynchronously, in bucket order on every rank, while backward goes on.
// The first hook of a backward queues an engine callback (autograd::queue_callback) that runs when the
// backward finishes: it waits for every bucket and writes the averaged gradients into .grad.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/dist/process_group.h"
#include "seek/nn/module.h"

namespace seek::dist {

struct ReducerOptions {
  double bucket_cap_mb = 25.0;  // > 0
  bool find_unused_parameters = false;
};

// The gradient synchronisation of DistributedDataParallel (torch's C++ Reducer; Python's DDP uses it too).
class Reducer {
 public:
  // `params` in registration order (requires_grad ones are synchronised); `names` for messages (may be empty).
  Reducer(std::vector<Tensor> params, std::vector<std::string> names, ProcessGroup& group, ReducerOptions options = {});
  ~Reducer();
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;

  // Arms the next backward: its gradients will be all-reduced. With find_unused_parameters, walks the
  // autograd graph from `outputs` and marks the parameters it does not reach as ready (zero gradients).
  void prepare_for_backward(const std::vector<Tensor>& outputs);
  // Indices (into params) of each bucket, in launch order.
  const std::vector<std::vector<size_t>>& bucket_indices() const;
  // How many backward passes synchronised their gradients so far (for tests).
  int64_t num_synced_backwards() const;

  struct State;

 private:
  std::shared_ptr<State> state_;  // the hooks hold it weakly: a destroyed Reducer leaves inert hooks
};

}  // namespace seek::dist

namespace seek::nn {

struct DistributedDataParallelOptions {
  double bucket_cap_mb = 25.0;
  bool find_unused_parameters = false;
  bool broadcast_buffers = true;                // broadcast rank 0's buffers (BN running stats) before each forward
  dist::ProcessGroup* process_group = nullptr;  // nullptr: dist::default_group()
};

class DistributedDataParallel : public Module {
 public:
  // Checks that every rank has the same parameter shapes (ValueError naming the first difference), then
  // broadcasts rank 0's parameters and buffers. dist::init_process_group must have been called.
  explicit DistributedDataParallel(std::shared_ptr<Module> module, DistributedDataParallelOptions options = {});

  // Broadcasts buffers (see options), runs module(input) and arms the gradient all-reduce of the next
  // backward (when grad mode is on and not inside no_sync()).
  Tensor forward(const Tensor& input) override;
  // For modules whose forward takes other arguments: run it inside `fn`, which returns the outputs.
  std::vector<Tensor> forward_with(const std::function<std::vector<Tensor>()>& fn);

  // While the returned guard lives, backward passes accumulate into .grad without communicating.
  class NoSyncGuard {
   public:
    explicit NoSyncGuard(DistributedDataParallel& ddp) : ddp_(&ddp), prev_(ddp.require_backward_grad_sync_) {
      ddp.require_backward_grad_sync_ = false;
    }
    ~NoSyncGuard() {
      if (ddp_) ddp_->require_backward_grad_sync_ = prev_;
    }
    NoSyncGuard(NoSyncGuard&& o) noexcept : ddp_(o.ddp_), prev_(o.prev_) { o.ddp_ = nullptr; }
    NoSyncGuard(const NoSyncGuard&) = delete;
    NoSyncGuard& operator=(const NoSyncGuard&) = delete;
    NoSyncGuard& operator=(NoSyncGuard&&) = delete;

   private:
    DistributedDataParallel* ddp_;
    bool prev_;
  };
  [[nodiscard]] NoSyncGuard no_sync() { return NoSyncGuard(*this); }

  std::shared_ptr<Module> module() const { return child("module"); }
  dist::ProcessGroup& process_group() const { return *group_; }
  dist::Reducer& reducer() { return *reducer_; }
  const DistributedDataParallelOptions& options() const { return options_; }
  bool require_backward_grad_sync() const { return require_backward_grad_sync_; }
  std::string extra_repr() const override;

 private:
  void pre_forward();
  void post_forward(const std::vector<Tensor>& outputs);

  DistributedDataParallelOptions options_;
  dist::ProcessGroup* group_;
  std::unique_ptr<dist::Reducer> reducer_;
  bool require_backward_grad_sync_ = true;
  bool require_forward_param_sync_ = true;
};

}  // namespace seek::nn

namespace seek::dist {
// The broadcast and shape check DDP does at construction, for other wrappers: every rank must pass tensors
// of the same shapes (ValueError naming the first difference and the ranks), then all get rank `src`'s values.
void sync_module_states(const std::vector<std::pair<std::string, Tensor>>& named_tensors, ProcessGroup& group,
                        int src = 0);
}  // namespace seek::dist
