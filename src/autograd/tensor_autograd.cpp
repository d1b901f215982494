// Tensor's autograd methods: requires_grad, .grad, backward, hooks, detach.
#include "seek/autograd/engine.h"
#include "seek/autograd/grad_mode.h"
#include "seek/autograd/node.h"
#include "seek/core/autograd_meta.h"

namespace seek {

bool Tensor::requires_grad() const {
  return defined() && impl()->autograd && (impl()->autograd->requires_grad || impl()->autograd->grad_fn);
}

Tensor& Tensor::requires_grad_(bool r) {
  SEEK_CHECK_T(AutogradError, !r || is_floating(dtype()),
               "requires_grad_: only tensors of floating point dtype can "
               "require gradients, got ",
               dtype());
  if (!r && impl()->autograd && impl()->autograd->grad_fn) {
    throw AutogradError(
        "requires_grad_: you can only change requires_grad flags of leaf tensors; "
        "use detach() to get a tensor without history");
  }
  if (!r && !impl()->autograd) return *this;
  autograd_meta(*this).requires_grad = r;
  return *this;
}

Tensor Tensor::grad() const {
  if (!defined() || !impl()->autograd) return Tensor();
  AutogradMeta& meta = *impl()->autograd;
  std::lock_guard<std::mutex> lock(meta.grad_mu);
  return meta.grad;
}

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined()) {  // PyTorch's checks, with its words
    SEEK_CHECK_T(AutogradError, g.sizes() == sizes(), "assigned grad has data of a different size: gradient shape ",
                 shape_str(g.sizes()), " does not match tensor shape ", shape_str(sizes()));
    SEEK_CHECK_T(AutogradError, g.dtype() == dtype(), "assigned grad has data of a different type: gradient dtype ",
                 g.dtype(), " does not match tensor dtype ", dtype());
    SEEK_CHECK_T(AutogradError, g.device() == device(),
                 "assigned grad has data located on a different device: ", g.device().str(), " for a tensor on ",
                 device().str());
  }
  AutogradMeta& meta = autograd_meta(*this);
  std::lock_guard<std::mutex> lock(meta.grad_mu);
  meta.grad = g;
}

std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
  if (!defined() || !impl()->autograd) return nullptr;
  return impl()->autograd->grad_fn;
}

int Tensor::output_nr() const { return impl() && impl()->autograd ? impl()->autograd->output_nr : 0; }
bool Tensor::is_leaf() const { return grad_fn() == nullptr; }

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph);
}

void Tensor::register_hook(std::function<Tensor(const Tensor&)> fn) const {
  SEEK_CHECK_T(AutogradError, requires_grad(),
               "register_hook: cannot register a hook on a tensor that doesn't "
               "require gradient");
  AutogradMeta& meta = autograd_meta(*this);
  if (meta.grad_fn) {
    auto& hooks = meta.grad_fn->pre_hooks;
    if (hooks.size() <= static_cast<size_t>(meta.output_nr)) hooks.resize(meta.output_nr + 1);
    hooks[meta.output_nr].push_back(std::move(fn));
  } else {
    meta.hooks.push_back(std::move(fn));
  }
}

void Tensor::retain_grad() const {
  SEEK_CHECK_T(AutogradError, requires_grad(), "retain_grad: tensor does not require grad");
  AutogradMeta& meta = autograd_meta(*this);
  if (!meta.grad_fn || meta.retains_grad) return;  // leaves keep their grad anyway
  meta.retains_grad = true;
  std::weak_ptr<TensorImpl> weak = impl_ptr();
  register_hook([weak](const Tensor& g) {
    if (auto impl = weak.lock()) {
      AutogradMeta& m = autograd_meta(Tensor(impl));
      std::lock_guard<std::mutex> lock(m.grad_mu);
      m.grad = m.grad.defined() ? m.grad + g : g.clone();
    }
    return Tensor();
  });
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  const TensorImpl& src = *this->impl();
  impl->storage = src.storage;
  impl->sizes = src.sizes;
  impl->strides = src.strides;
  impl->offset = src.offset;
  impl->dtype = src.dtype;
  impl->version = src.version;
  // Not a view for autograd (as PyTorch: detach()._is_view() is False): in-place ops on it or on its
  // views never rewrite the history of the tensor it came from.
  return Tensor(std::move(impl));
}

Tensor& Tensor::detach_() {
  if (impl()->autograd) {
    impl()->autograd->grad_fn = nullptr;
    impl()->autograd->requires_grad = false;
    impl()->autograd->output_nr = 0;
  }
  return *this;
}

}  // namespace seek
