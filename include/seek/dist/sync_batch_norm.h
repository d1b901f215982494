#pragma once
// seek::nn::SyncBatchNorm: batch normalisation with statistics over the whole global batch (torch's
// SyncBatchNorm). In training each rank sums x and x^2 per channel and counts its elements; one all-reduce of
// [sum, sumsq, count] gives every rank the global mean and variance. That all-reduce is differentiable (its
// backward all-reduces the incoming gradients), so autograd through ordinary ops yields exactly the two global
// gradient sums torch's backward all-reduces. Parameters and buffers are BatchNorm's, under the same names.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "seek/core/tensor.h"
#include "seek/dist/process_group.h"
#include "seek/nn/module.h"

namespace seek::dist {
// Sum of `t` over every rank of `group`, differentiable: the gradient is the sum of the ranks' gradients
// (torch.distributed.nn.functional.all_reduce). The result is a new tensor.
Tensor all_reduce_with_grad(const Tensor& t, ProcessGroup& group);
}  // namespace seek::dist

namespace seek::nn {

class SyncBatchNorm : public Module {
 public:
  // process_group nullptr: the default group at each forward (a lone process, or none initialised, normalises
  // over the local batch as BatchNorm does).
  explicit SyncBatchNorm(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                         bool affine = true, bool track_running_stats = true,
                         dist::ProcessGroup* process_group = nullptr, TensorOptions options = {});
  // Accepts [N, C, *] with at least 2 dims.
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t num_features() const { return num_features_; }
  double eps() const { return eps_; }
  std::optional<double> momentum() const { return momentum_; }
  bool affine() const { return affine_; }
  bool track_running_stats() const { return track_; }

  // Returns `module` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding the same parameters and
  // buffers (the same tensors, so an optimizer built before still updates them) and training mode; the
  // module itself when it is a batch norm layer is returned converted. Other modules are changed in place.
  static std::shared_ptr<Module> convert_sync_batchnorm(std::shared_ptr<Module> module,
                                                        dist::ProcessGroup* process_group = nullptr);

 private:
  int64_t num_features_;
  double eps_;
  std::optional<double> momentum_;
  bool affine_, track_;
  dist::ProcessGroup* group_;
};

}  // namespace seek::nn
