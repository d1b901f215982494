#pragma once
// Batch and group normalisation, functional and module forms, like torch.nn.
// The functional forms are the norm ops of seek/ops/norm.h (fused kernels where the
// backend has them, ops elsewhere), so they differentiate and run on every backend.
#include <optional>
#include <string>

#include "seek/nn/module.h"

namespace seek::nn::functional {

// input [N, C] or [N, C, *]. In training mode (or when the running stats are
// undefined) normalises with the biased batch variance over every dim but 1 and,
// when running_mean/running_var are defined, updates them in place (no grad):
//   running = (1 - momentum) * running + momentum * batch_stat  (unbiased var).
// momentum == nullopt means a cumulative average with factor 1 / num_batches_tracked.
// num_batches_tracked (int64 scalar, optional) is incremented by one per training
// call that updates running stats; it is required when momentum is nullopt.
// In eval mode running_mean and running_var are used and must be defined.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                  std::optional<double> momentum = 0.1, double eps = 1e-5,
                  const Tensor& num_batches_tracked = Tensor());
// input [N, C, *]; normalises each of num_groups channel groups per sample
// (biased variance), then applies the optional per-channel weight and bias [C].
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace seek::nn::functional

namespace seek::nn {

// Shared by BatchNorm1d/2d: parameters "weight" (ones) and "bias" (zeros) of
// [num_features] when affine; buffers "running_mean" (zeros), "running_var" (ones)
// and "num_batches_tracked" (int64 scalar 0) when track_running_stats, as torch.
class BatchNormBase : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  void reset_running_stats();
  void reset_parameters();  // running stats, then weight = 1, bias = 0
  int64_t num_features() const { return num_features_; }
  double eps() const { return eps_; }  // issue 15: what fuse_conv_bn_eval folds in
  // The configuration, for the fused conv + BN training path (nn/fused_conv_bn.h) and for
  // SyncBatchNorm::convert_sync_batchnorm (torch's attributes of the same names).
  std::optional<double> momentum() const { return momentum_; }
  bool affine() const { return affine_; }
  bool track_running_stats() const { return track_; }

 protected:
  BatchNormBase(std::string type_name, int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                bool track_running_stats, TensorOptions options);
  virtual void check_input_dim(const Tensor& input) const = 0;

 private:
  int64_t num_features_;
  double eps_;
  std::optional<double> momentum_;
  bool affine_, track_;
};

// Accepts [N, C] or [N, C, L].
class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true, TensorOptions options = {})
      : BatchNormBase("BatchNorm1d", num_features, eps, momentum, affine, track_running_stats, options) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};

// Accepts [N, C, H, W].
class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true, TensorOptions options = {})
      : BatchNormBase("BatchNorm2d", num_features, eps, momentum, affine, track_running_stats, options) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};

// "weight" (ones) and "bias" (zeros) of [num_channels] when affine.
class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5, bool affine = true,
            TensorOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t groups_, channels_;
  double eps_;
  bool affine_;
};

}  // namespace seek::nn
