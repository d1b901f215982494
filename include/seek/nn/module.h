#pragma once
// nn::Module: the base of every layer and model, like torch.nn.Module.
// A module owns named parameters, buffers and submodules; names are dotted
// paths ("layer1.0.conv1.weight") exactly as PyTorch builds them, so that
// state dicts move between the two.
#include <cstddef>
#include <functional>
#include <map>
#include <ostream>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::nn {

using StateDict = std::vector<std::pair<std::string, Tensor>>;  // ordered like PyTorch's OrderedDict

template <typename M>
class Child;

class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The single-input forward most layers have; modules without one throw.
  virtual Tensor forward(const Tensor& input);
  // Calling a module: forward(), or, when a call hook is set, the hook (which runs forward itself).
  // Parents call their children this way (Child handles, Sequential), so that hooks registered on a
  // child (Python's register_forward_hook, ...; python/src/nn_hooks.cpp sets the call hook) run.
  Tensor operator()(const Tensor& input) { return call(input); }
  Tensor call(const Tensor& input) { return call_hook_ ? call_hook_(*this, input) : forward(input); }
  using CallHook = std::function<Tensor(Module&, const Tensor&)>;
  void set_call_hook(CallHook hook) { call_hook_ = std::move(hook); }
  const CallHook& call_hook() const { return call_hook_; }

  const std::string& type_name() const { return type_name_; }

  // Registration. A parameter is a leaf tensor that requires grad (when floating).
  Tensor& register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  // Buffers are state that is not trained (running stats); non-persistent ones stay out of state_dict.
  Tensor& register_buffer(const std::string& name, Tensor value, bool persistent = true);
  // Returns a handle to the new slot: keep it in a Child<M> member and call the child
  // through it, so that a later replace_module takes effect in forward (it converts to
  // std::shared_ptr<M> too, for code that keeps the module itself).
  template <typename M>
  Child<M> register_module(const std::string& name, std::shared_ptr<M> module);
  // Swaps the already-registered submodule `name` for `module`, keeping its place in the
  // registration order (libtorch's replace_module; torch's `model.fc = nn.Linear(...)`).
  // Throws ValueError when no submodule has that name or `module` is null; the new module
  // may be of any type. Parents that call their children through Child handles (every
  // seek module, containers included) use the new one from the next forward on.
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
  // model.to(memory_format=...) as PyTorch: 4-D parameters, buffers and grads to ChannelsLast (5-D to
  // ChannelsLast3d; Contiguous takes both back), in place: each Parameter keeps its identity, so an
  // optimizer built before still updates the same tensors.
  void to(MemoryFormat memory_format);

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
  // Children by registration index (no name search), for containers.
  size_t num_children() const { return children_.size(); }
  const std::shared_ptr<Module>& child_at(size_t index) const { return children_[index].second; }
  const std::string& child_name_at(size_t index) const { return children_[index].first; }
  void set_child_at(size_t index, std::shared_ptr<Module> module);  // ValueError when null

 private:
  template <typename>
  friend class Child;
  struct Entry {
    std::string name;
    Tensor value;
    bool persistent = true;
  };
  void check_new_name(const std::string& name) const;
  size_t slot_of(const std::string& child_name) const;  // ValueError when absent
  void apply_to_tensors(const std::function<Tensor(const Tensor&)>& fn);
  std::string repr_indented(int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<Entry> params_;
  std::vector<Entry> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  CallHook call_hook_;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

namespace detail {
// DTypeError (Python TypeError) naming the parent, the child, its type and the expected one.
[[noreturn]] void throw_child_type_error(const Module& parent, const std::string& child, const Module& found,
                                         const std::type_info& expected);
[[noreturn]] void throw_unbound_child();
}  // namespace detail

// A parent's handle to one of its registered submodules: it names a slot of the parent's
// registry (the single source of truth) by index, so it always reaches the module that is
// registered there NOW, also after replace_module / Python's `model.fc = ...`.
//   child(x)                    calls the current module (any type): its call hook, else forward;
//   child.forward(x)            the generic Module::forward of the current module, without hooks;
//   child->member, *child       typed access: DTypeError when the current module is not an M;
//   get()                       the current module as std::shared_ptr<M> (typed, as ->);
//   module()                    the current module as std::shared_ptr<Module> (any type).
// A default-constructed handle is empty (false), for optional children. A handle is valid
// while its parent lives (it is meant to be a member of that parent).
template <typename M>
class Child {
 public:
  Child() = default;
  // The handle to an already-registered child (one name search, here).
  Child(Module& parent, const std::string& name) : parent_(&parent), slot_(parent.slot_of(name)) {}
  // A handle of a base type from one of a derived type (Child<Module> from Child<Conv2d>).
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U*, M*> && !std::is_same_v<U, M>>>
  Child(const Child<U>& other) : parent_(other.parent_), slot_(other.slot_) {}  // NOLINT(google-explicit-constructor)
  // A handle of a derived type to the same slot (typed access checks the type at each use).
  template <typename U, typename = std::enable_if_t<!std::is_convertible_v<U*, M*>>, typename = void>
  explicit Child(const Child<U>& other) : parent_(other.parent_), slot_(other.slot_) {}

  explicit operator bool() const { return parent_ != nullptr; }
  const std::string& name() const { return parent().children_[slot_].first; }
  const std::shared_ptr<Module>& module() const { return parent().children_[slot_].second; }

  Tensor forward(const Tensor& input) const { return module()->forward(input); }
  Tensor operator()(const Tensor& input) const { return module()->call(input); }

  M* operator->() const { return typed(); }
  M& operator*() const { return *typed(); }
  std::shared_ptr<M> get() const { return std::shared_ptr<M>(module(), typed()); }
  // So that `std::shared_ptr<Linear> fc = register_module("fc", ...)` keeps compiling.
  template <typename T, typename = std::enable_if_t<std::is_convertible_v<M*, T*>>>
  operator std::shared_ptr<T>() const {  // NOLINT(google-explicit-constructor)
    return get();
  }

 private:
  friend class Module;
  template <typename>
  friend class Child;
  Child(Module* parent, size_t slot) : parent_(parent), slot_(slot) {}
  Module& parent() const {
    if (parent_ == nullptr) detail::throw_unbound_child();
    return *parent_;
  }
  M* typed() const {
    Module* m = module().get();
    if constexpr (std::is_same_v<M, Module>) {
      return m;
    } else {
      M* t = dynamic_cast<M*>(m);
      if (t == nullptr) detail::throw_child_type_error(*parent_, name(), *m, typeid(M));
      return t;
    }
  }

  Module* parent_ = nullptr;
  size_t slot_ = 0;
};

template <typename M>
Child<M> Module::register_module(const std::string& name, std::shared_ptr<M> module) {
  add_child(name, std::move(module));
  return Child<M>(this, children_.size() - 1);
}

}  // namespace seek::nn
