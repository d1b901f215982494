#include "seek/nn/module.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "seek/autograd/grad_mode.h"

namespace seek::nn {

Tensor Module::forward(const Tensor&) {
  throw Error(str(type_name_, ": this module has no single-input forward(); call its own forward overload"));
}

void Module::check_new_name(const std::string& name) const {
  SEEK_CHECK_VALUE(!name.empty() && name.find('.') == std::string::npos, type_name_,
                   ": attribute name must be non-empty and contain no '.', got '", name, "'");
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.name == name; });
  };
  bool child = std::any_of(children_.begin(), children_.end(), [&](const auto& c) { return c.first == name; });
  SEEK_CHECK_VALUE(!taken(params_) && !taken(buffers_) && !child, type_name_, ": attribute '", name,
                   "' already exists");
}

Tensor& Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name);
  if (value.defined()) {
    value = value.detach();
    if (requires_grad && is_floating(value.dtype())) value.requires_grad_(true);
  }
  params_.push_back({name, value, true});
  return params_.back().value;
}

Tensor& Module::register_buffer(const std::string& name, Tensor value, bool persistent) {
  check_new_name(name);
  buffers_.push_back({name, value, persistent});
  return buffers_.back().value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  SEEK_CHECK_VALUE(module != nullptr, type_name_, ": submodule '", name, "' is null");
  children_.emplace_back(name, std::move(module));
}

void Module::replace_child(const std::string& name, std::shared_ptr<Module> module) {
  auto it = std::find_if(children_.begin(), children_.end(), [&](const auto& c) { return c.first == name; });
  SEEK_CHECK_VALUE(it != children_.end(), type_name_, ": replace_module: no submodule named '", name,
                   "' to replace (register_module adds a new one)");
  SEEK_CHECK_VALUE(module != nullptr, type_name_, ": replace_module: the new submodule '", name, "' is null");
  set_child_at(static_cast<size_t>(it - children_.begin()), std::move(module));
}

size_t Module::slot_of(const std::string& child_name) const {
  for (size_t i = 0; i < children_.size(); ++i)
    if (children_[i].first == child_name) return i;
  throw ValueError(str(type_name_, ": no submodule named '", child_name, "'"));
}

void Module::set_child_at(size_t index, std::shared_ptr<Module> module) {
  SEEK_CHECK_VALUE(module != nullptr, type_name_, ": the new submodule '", children_[index].first, "' is null");
  children_[index].second = std::move(module);
}

namespace detail {

namespace {
// "seek::nn::Linear" rather than the mangled "N4seek2nn6LinearE".
std::string readable_type_name(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && demangled != nullptr ? demangled : type.name();
  std::free(demangled);
  return out;
}
}  // namespace

void throw_child_type_error(const Module& parent, const std::string& child, const Module& found,
                            const std::type_info& expected) {
  throw DTypeError(str(parent.type_name(), ": submodule '", child, "' is now a ", found.type_name(),
                       ", but this access needs a ", readable_type_name(expected),
                       " (replace it with a module of that type)"));
}

void throw_unbound_child() {
  throw ValueError("nn::Child: this handle refers to no submodule (an optional child that is absent)");
}

}  // namespace detail

Tensor& Module::param(const std::string& name) {
  for (auto& e : params_)
    if (e.name == name) return e.value;
  throw ValueError(str(type_name_, ": no parameter named '", name, "'"));
}

Tensor& Module::buffer(const std::string& name) {
  for (auto& e : buffers_)
    if (e.name == name) return e.value;
  throw ValueError(str(type_name_, ": no buffer named '", name, "'"));
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (auto& c : children_)
    if (c.first == name) return c.second;
  throw ValueError(str(type_name_, ": no submodule named '", name, "'"));
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::set<const TensorImpl*> seen;  // shared parameters are listed once, like PyTorch
  for (auto& e : params_)
    if (e.value.defined() && seen.insert(e.value.impl()).second) out.emplace_back(e.name, e.value);
  if (recurse) {
    for (auto& [cname, c] : children_)
      for (auto& [n, t] : c->named_parameters(true))
        if (seen.insert(t.impl()).second) out.emplace_back(cname + "." + n, t);
  }
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& p : named_parameters(recurse)) out.push_back(p.second);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& e : buffers_)
    if (e.value.defined()) out.emplace_back(e.name, e.value);
  if (recurse) {
    for (auto& [cname, c] : children_)
      for (auto& [n, t] : c->named_buffers(true)) out.emplace_back(cname + "." + n, t);
  }
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& b : named_buffers(recurse)) out.push_back(b.second);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& c : children_) out.push_back(c.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const { return children_; }

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  out.emplace_back("", shared_from_this());
  for (auto& [cname, c] : children_)
    for (auto& [n, m] : c->named_modules()) out.emplace_back(n.empty() ? cname : cname + "." + n, m);
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& c : children_) c.second->train(on);
}

namespace {
// Parameters already moved in this to() call, by their old tensor (kept alive so that its address is not
// reused): a tensor registered twice (tied weights) stays one tensor afterwards, as in PyTorch.
thread_local std::map<const TensorImpl*, std::pair<Tensor, Tensor>>* t_moved_params = nullptr;
}  // namespace

void Module::apply_to_tensors(const std::function<Tensor(const Tensor&)>& fn) {
  NoGradGuard no_grad;
  std::map<const TensorImpl*, std::pair<Tensor, Tensor>> moved_here;
  const bool outermost = t_moved_params == nullptr;
  if (outermost) t_moved_params = &moved_here;
  struct Reset {
    bool on;
    ~Reset() {
      if (on) t_moved_params = nullptr;
    }
  } reset{outermost};
  for (auto& e : params_) {
    if (!e.value.defined()) continue;
    if (auto it = t_moved_params->find(e.value.impl()); it != t_moved_params->end()) {
      e.value = it->second.second;
      continue;
    }
    bool req = e.value.requires_grad();
    Tensor g = e.value.grad();
    Tensor moved = fn(e.value);
    if (moved.is_same(e.value)) continue;
    moved = moved.detach();
    if (req) moved.requires_grad_(true);
    if (g.defined()) moved.set_grad(fn(g));
    (*t_moved_params)[e.value.impl()] = {e.value, moved};
    e.value = moved;
  }
  for (auto& e : buffers_)
    if (e.value.defined()) e.value = fn(e.value);
  for (auto& c : children_) c.second->apply_to_tensors(fn);
}

void Module::to(Device device) {
  apply_to_tensors([&](const Tensor& t) { return t.to(device); });
}
void Module::to(DType dtype) {
  apply_to_tensors([&](const Tensor& t) { return is_floating(t.dtype()) ? t.to(dtype) : t; });
}
void Module::to(Device device, DType dtype) {
  apply_to_tensors([&](const Tensor& t) { return is_floating(t.dtype()) ? t.to(device, dtype) : t.to(device); });
}

namespace {
// PyTorch's `t.data = src`: t's own impl now addresses src's data, so every handle to t (an optimizer's, a
// Python object's) sees the new layout; no version bump, no history.
void set_data(const Tensor& t, const Tensor& src) {
  TensorImpl& d = *t.impl();
  const TensorImpl& s = *src.impl();
  d.storage = s.storage;
  d.sizes = s.sizes;
  d.strides = s.strides;
  d.offset = s.offset;
}

bool takes_format(const Tensor& t, MemoryFormat f) {
  if (!t.defined()) return false;
  if (f == MemoryFormat::Contiguous) return t.dim() == 4 || t.dim() == 5;
  return t.dim() == (f == MemoryFormat::ChannelsLast ? 4 : 5);
}
}  // namespace

void Module::to(MemoryFormat f) {
  SEEK_CHECK_VALUE(f != MemoryFormat::Preserve, "Module.to: memory_format must be contiguous_format, channels_last ",
                   "or channels_last_3d, got preserve_format");
  NoGradGuard no_grad;
  auto convert = [f](const Tensor& t) {
    if (takes_format(t, f) && !t.is_contiguous(f)) set_data(t, t.detach().contiguous(f));
  };
  for (auto& e : params_) {
    convert(e.value);
    if (e.value.defined()) convert(e.value.grad());
  }
  for (auto& e : buffers_) convert(e.value);
  for (auto& c : children_) c.second->to(f);
}

void Module::zero_grad(bool set_to_none) {
  for (auto& p : parameters()) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      NoGradGuard no_grad;
      g.zero_();
    }
  }
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t n = 0;
  for (auto& p : parameters())
    if (!trainable_only || p.requires_grad()) n += p.numel();
  return n;
}

StateDict Module::state_dict() const {
  StateDict out;
  for (auto& e : params_)
    if (e.value.defined()) out.emplace_back(e.name, e.value.detach());
  for (auto& e : buffers_)
    if (e.value.defined() && e.persistent) out.emplace_back(e.name, e.value.detach());
  for (auto& [cname, c] : children_)
    for (auto& [n, t] : c->state_dict()) out.emplace_back(cname + "." + n, t);
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  StateDict own = state_dict();
  std::map<std::string, Tensor> given(state.begin(), state.end());
  std::vector<std::string> missing, unexpected, mismatched;
  for (auto& [name, t] : own) {
    auto it = given.find(name);
    if (it == given.end()) {
      missing.push_back(name);
      continue;
    }
    if (it->second.sizes() != t.sizes()) {
      mismatched.push_back(name + ": checkpoint " + shape_str(it->second.sizes()) + " vs model " +
                           shape_str(t.sizes()));
    }
  }
  std::set<std::string> own_names;
  for (auto& [name, t] : own) own_names.insert(name);
  for (auto& [name, t] : state)
    if (!own_names.count(name)) unexpected.push_back(name);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : ", ") + ("'" + x + "'");
    return s;
  };
  std::string err;
  if (!mismatched.empty()) err += " size mismatch for " + join(mismatched) + ";";
  if (strict && !missing.empty()) err += " missing keys " + join(missing) + ";";
  if (strict && !unexpected.empty()) err += " unexpected keys " + join(unexpected) + ";";
  SEEK_CHECK_VALUE(err.empty(), "load_state_dict: error(s) in loading state_dict for ", type_name_, ":", err);
  NoGradGuard no_grad;
  for (auto& [name, t] : own) {
    auto it = given.find(name);
    if (it != given.end()) const_cast<Tensor&>(t).copy_(it->second);  // t shares storage with the module's tensor
  }
}

std::string Module::repr_indented(int indent) const {
  std::ostringstream os;
  os << type_name_ << "(" << extra_repr();
  if (!children_.empty()) {
    os << "\n";
    for (auto& [n, c] : children_)
      os << std::string(indent + 2, ' ') << "(" << n << "): " << c->repr_indented(indent + 2) << "\n";
    os << std::string(indent, ' ');
  }
  os << ")";
  return os.str();
}

std::string Module::repr() const { return repr_indented(0); }

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.repr(); }

}  // namespace seek::nn
