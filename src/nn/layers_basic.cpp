#include "seek/nn/layers_basic.h"

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/functional.h"
#include "seek/nn/functional_extra.h"
#include "seek/nn/init.h"
#include "seek/ops/creation.h"

namespace seek::nn {

namespace F = functional;

std::string Flatten::extra_repr() const { return str("start_dim=", start_dim_, ", end_dim=", end_dim_); }

Dropout::Dropout(double p, bool inplace) : Module("Dropout"), p_(p), inplace_(inplace) {
  SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, "Dropout: probability has to be between 0 and 1, but got ", p);
}

std::string Dropout::extra_repr() const { return str("p=", p_, ", inplace=", inplace_ ? "True" : "False"); }

namespace {
// fn(input), or fn written into input when inplace.
Tensor maybe_inplace(const Tensor& input, bool inplace, const std::function<Tensor(const Tensor&)>& fn) {
  if (!inplace) return fn(input);
  Tensor x = input;
  return F::apply_inplace(x, fn);  // on a view, autograd rewrites the base's history (as PyTorch)
}
}  // namespace

Tensor Dropout::forward(const Tensor& input) {
  if (!inplace_ || !is_training()) return F::dropout(input, p_, is_training());
  return maybe_inplace(input, true, [&](const Tensor& t) { return F::dropout(t, p_, true); });
}

Tensor ReLU::forward(const Tensor& input) {
  return maybe_inplace(input, inplace_, [](const Tensor& t) { return t.relu(); });
}
Tensor ReLU6::forward(const Tensor& input) {
  return maybe_inplace(input, inplace_, [](const Tensor& t) { return F::relu6(t); });
}
Tensor SiLU::forward(const Tensor& input) {
  return maybe_inplace(input, inplace_, [](const Tensor& t) { return t.silu(); });
}
Tensor Hardswish::forward(const Tensor& input) {
  return maybe_inplace(input, inplace_, [](const Tensor& t) { return t.hardswish(); });
}
Tensor Hardsigmoid::forward(const Tensor& input) {
  return maybe_inplace(input, inplace_, [](const Tensor& t) { return t.hardsigmoid(); });
}
std::string ReLU::extra_repr() const { return inplace_ ? "inplace=True" : ""; }
std::string ReLU6::extra_repr() const { return inplace_ ? "inplace=True" : ""; }
std::string SiLU::extra_repr() const { return inplace_ ? "inplace=True" : ""; }
std::string Hardswish::extra_repr() const { return ""; }
std::string Hardsigmoid::extra_repr() const { return ""; }
Tensor Sigmoid::forward(const Tensor& input) { return input.sigmoid(); }
Tensor Tanh::forward(const Tensor& input) { return input.tanh(); }

Tensor LeakyReLU::forward(const Tensor& input) {
  return maybe_inplace(input, inplace_, [this](const Tensor& t) { return F::leaky_relu(t, slope_); });
}
std::string LeakyReLU::extra_repr() const { return str("negative_slope=", slope_, inplace_ ? ", inplace=True" : ""); }

GELU::GELU(std::string approximate) : Module("GELU"), approximate_(std::move(approximate)) {
  SEEK_CHECK_VALUE(approximate_ == "none" || approximate_ == "tanh",
                   "GELU: approximate must be 'none' or 'tanh', got '", approximate_, "'");
}
Tensor GELU::forward(const Tensor& input) { return input.gelu(approximate_); }
std::string GELU::extra_repr() const { return str("approximate='", approximate_, "'"); }

std::string Softmax::extra_repr() const { return str("dim=", dim_); }

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx,
                     TensorOptions options)
    : Module("Embedding"), num_(num_embeddings), dim_(embedding_dim) {
  SEEK_CHECK_VALUE(num_embeddings >= 0 && embedding_dim >= 0, "Embedding: sizes must be >= 0, got ", num_embeddings,
                   " x ", embedding_dim);
  if (padding_idx) {
    SEEK_CHECK_INDEX(*padding_idx >= -num_ && *padding_idx < num_, "Embedding: padding_idx ", *padding_idx,
                     " must be within num_embeddings (", num_, ")");
    padding_idx_ = *padding_idx < 0 ? *padding_idx + num_ : *padding_idx;
  }
  register_parameter("weight", zeros({num_, dim_}, options.requires_grad(false)));
  reset_parameters();
}

void Embedding::reset_parameters() {
  init::normal_(param("weight"));
  if (padding_idx_) {
    NoGradGuard ng;
    param("weight").select(0, *padding_idx_).fill_(0);
  }
}

Tensor Embedding::forward(const Tensor& indices) { return F::embedding(indices, param("weight"), padding_idx_); }

std::string Embedding::extra_repr() const {
  std::string s = str(num_, ", ", dim_);
  if (padding_idx_) s += str(", padding_idx=", *padding_idx_);
  return s;
}

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine, bool bias, TensorOptions options)
    : Module("LayerNorm"),
      shape_(std::move(normalized_shape)),
      eps_(eps),
      affine_(elementwise_affine),
      bias_(elementwise_affine && bias) {
  SEEK_CHECK_VALUE(!shape_.empty(), "LayerNorm: normalized_shape must not be empty");
  if (affine_) register_parameter("weight", ones(shape_, options.requires_grad(false)));
  if (bias_) register_parameter("bias", zeros(shape_, options.requires_grad(false)));
}

Tensor LayerNorm::forward(const Tensor& input) {
  return F::layer_norm(input, shape_, affine_ ? param("weight") : Tensor(), bias_ ? param("bias") : Tensor(), eps_);
}

std::string LayerNorm::extra_repr() const {
  std::string s = "(";
  for (size_t i = 0; i < shape_.size(); ++i) s += str(i ? ", " : "", shape_[i]);
  s += shape_.size() == 1 ? ",)" : ")";
  return str(s, ", eps=", eps_, ", elementwise_affine=", affine_ ? "True" : "False");
}

}  // namespace seek::nn
