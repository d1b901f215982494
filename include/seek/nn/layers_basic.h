#pragma once
// Parameter-free layers, activations, Dropout, Embedding and LayerNorm, like
// their torch.nn namesakes (same parameter names, defaults and init).
#include <optional>
#include <string>

#include "seek/nn/module.h"

namespace seek::nn {

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& input) override { return input; }
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor forward(const Tensor& input) override { return input.flatten(start_dim_, end_dim_); }
  std::string extra_repr() const override;

 private:
  int64_t start_dim_, end_dim_;
};

// With inplace the layers below overwrite their input and return it (torch's inplace=True).
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, bool inplace = false);  // ValueError for p outside [0, 1]
  Tensor forward(const Tensor& input) override;            // identity in eval mode
  std::string extra_repr() const override;
  double p() const { return p_; }
  bool inplace() const { return inplace_; }

 private:
  double p_;
  bool inplace_;
};

// Elementwise activations without state; the first five take torch's inplace flag
// (shown by repr() where torch shows it: not for Hardswish and Hardsigmoid).
#define SEEK_NN_ACTIVATION_INPLACE(Name)                                      \
  class Name : public Module {                                                \
   public:                                                                    \
    explicit Name(bool inplace = false) : Module(#Name), inplace_(inplace) {} \
    Tensor forward(const Tensor& input) override;                             \
    std::string extra_repr() const override;                                  \
    bool inplace() const { return inplace_; }                                 \
                                                                              \
   private:                                                                   \
    bool inplace_;                                                            \
  };
SEEK_NN_ACTIVATION_INPLACE(ReLU)
SEEK_NN_ACTIVATION_INPLACE(ReLU6)
SEEK_NN_ACTIVATION_INPLACE(SiLU)
SEEK_NN_ACTIVATION_INPLACE(Hardswish)
SEEK_NN_ACTIVATION_INPLACE(Hardsigmoid)
#undef SEEK_NN_ACTIVATION_INPLACE
#define SEEK_NN_ACTIVATION(Name)                  \
  class Name : public Module {                    \
   public:                                        \
    Name() : Module(#Name) {}                     \
    Tensor forward(const Tensor& input) override; \
  };
SEEK_NN_ACTIVATION(Sigmoid)
SEEK_NN_ACTIVATION(Tanh)
#undef SEEK_NN_ACTIVATION

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01, bool inplace = false)
      : Module("LeakyReLU"), slope_(negative_slope), inplace_(inplace) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  double slope_;
  bool inplace_;
};

class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");  // "none" or "tanh"; else ValueError
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  std::string approximate_;
};

class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim) : Module("Softmax"), dim_(dim) {}
  Tensor forward(const Tensor& input) override { return input.softmax(dim_); }
  std::string extra_repr() const override;

 private:
  int64_t dim_;
};

// Lookup table "weight" [num_embeddings, embedding_dim], init N(0, 1), the
// padding_idx row (negative counts from the end) zeroed and given no gradient.
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt,
            TensorOptions options = {});
  Tensor forward(const Tensor& indices) override;
  void reset_parameters();
  std::string extra_repr() const override;
  std::optional<int64_t> padding_idx() const { return padding_idx_; }  // already wrapped to >= 0
  Tensor& weight() { return param("weight"); }

 private:
  int64_t num_, dim_;
  std::optional<int64_t> padding_idx_;
};

// Normalises over the trailing normalized_shape dims; "weight" ones / "bias" zeros
// of normalized_shape when elementwise_affine (bias only when also `bias`).
class LayerNorm : public Module {
 public:
  LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true, bool bias = true,
            TensorOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const Shape& normalized_shape() const { return shape_; }

 private:
  Shape shape_;
  double eps_;
  bool affine_, bias_;
};

}  // namespace seek::nn
