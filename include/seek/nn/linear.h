#pragma once
// nn::Linear: y = x @ weight^T + bias, weight [out_features, in_features], like torch.nn.Linear.
#include "seek/nn/module.h"

namespace seek::nn {

class Linear : public Module {
 public:
  // torch's default init: weight kaiming_uniform_(a = sqrt(5)) (= U(-1/sqrt(in), 1/sqrt(in))),
  // bias U(-1/sqrt(in), 1/sqrt(in)).
  Linear(int64_t in_features, int64_t out_features, bool bias = true, TensorOptions options = {});
  Tensor forward(const Tensor& input) override;
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  bool has_bias() const { return has_bias_; }
  Tensor& weight() { return param("weight"); }
  Tensor& bias() { return param("bias"); }  // ValueError without bias

 private:
  int64_t in_features_, out_features_;
  bool has_bias_;
};

}  // namespace seek::nn
