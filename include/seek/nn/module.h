#pragma once
// nn::Module: the base of every layer and model, like torch.nn.Module.
// A module owns named parameters, buffers and submodules; names are dotted
// paths ("layer1.0.conv1.weight") exactly as PyTorch builds them, so that
// state dicts move between the two.
#include <functional>
#include <map>
#include <ostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::nn {

using StateDict = std::vector<std::pair<std::string, Tensor>>;  // ordered like PyTorch's OrderedDict

class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The single-input forward most layers have; modules without one throw.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  const std::string& type_name() const { return type_name_; }

  // Registration. A parameter is a leaf tensor that requires grad (when floating).
  Tensor& register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  // Buffers are state that is not trained (running stats); non-persistent ones stay out of state_dict.
  Tensor& register_buffer(const std::string& name, Tensor value, bool persistent = true);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  // Swaps the already-registered submodule `name` for `module`, keeping its place in the
  // registration order (libtorch's replace_module; torch's `model.fc = nn.Linear(...)`).
  // Throws ValueError when no submodule has that name or `module` is null. A C++ parent that
  // also keeps the old child in a member must update that member itself.
  template <typename M>
  std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> module) {
    replace_child(name, module);
    return module;
  }

  // Lookup by local name (throws ValueError naming the module when absent).
  Tensor& param(const std::string& name);
  Tensor& buffer(const std::string& name);
  std::shared_ptr<Module> child(const std::string& name) const;

  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // This module first (name ""), then every descendant in registration order.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules();

  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Moves/casts parameters and buffers in place (floating buffers only change dtype).
  void to(Device device);
  void to(DType dtype);
  void to(Device device, DType dtype);

  void zero_grad(bool set_to_none = true);
  int64_t num_parameters(bool trainable_only = false) const;

  // Parameters and persistent buffers, dotted names, in registration order.
  StateDict state_dict() const;
  // Copies values in (no_grad). With strict, missing or unexpected keys are an
  // error; a shape mismatch is always an error. The message lists the keys.
  void load_state_dict(const StateDict& state, bool strict = true);

  // PyTorch-like printout of the module tree.
  virtual std::string extra_repr() const { return ""; }
  std::string repr() const;

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void replace_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  struct Entry {
    std::string name;
    Tensor value;
    bool persistent = true;
  };
  void check_new_name(const std::string& name) const;
  void apply_to_tensors(const std::function<Tensor(const Tensor&)>& fn);
  std::string repr_indented(int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<Entry> params_;
  std::vector<Entry> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace seek::nn
