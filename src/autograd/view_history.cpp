// In-place ops on views under autograd. The base's new grad_fn (CopySlices) splits the incoming
// gradient: the view's elements go to the node of the in-place op, the rest to the base's old
// history. Both directions work on a zero buffer laid out as the shared storage, so any strided
// view (slices, transposes, selects, views of views) maps with as_strided.
#include "autograd/view_history.h"

#include <algorithm>

#include "seek/autograd/function.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/autograd_meta.h"

namespace seek::autograd {

namespace {

// Sizes, strides and offset of a tensor inside its storage.
struct Geometry {
  Shape sizes;
  std::vector<int64_t> strides;
  int64_t offset = 0;
  explicit Geometry(const Tensor& t) : sizes(t.sizes()), strides(t.strides()), offset(t.storage_offset()) {}
  // One past the last element addressed (offset when empty).
  int64_t end() const {
    if (shape_numel(sizes) == 0) return offset;
    int64_t last = offset;
    for (size_t i = 0; i < sizes.size(); ++i) last += (sizes[i] - 1) * strides[i];
    return last + 1;
  }
  Tensor of(const Tensor& buffer) const { return buffer.as_strided(sizes, strides, offset); }
};

// A zero buffer covering both geometries, with the dtype and device of `like`.
Tensor zero_buffer(const Geometry& a, const Geometry& b, const Tensor& like) {
  Tensor buf = empty({std::max(a.end(), b.end())}, TensorOptions(like.dtype()).device(like.device()));
  buf.zero_();
  return buf;
}

std::shared_ptr<LambdaNode> copy_slices_node(const Tensor& base, const Tensor& view, const Edge& view_edge) {
  Geometry gb(base), gv(view);
  auto node =
      std::make_shared<LambdaNode>("CopySlices", [gb, gv](const variable_list& g, const std::vector<bool>& needs) {
        Tensor buf = zero_buffer(gb, gv, g[0]);
        gb.of(buf).copy_(g[0]);
        Tensor region = gv.of(buf);
        Tensor view_grad = needs[1] ? region.clone() : Tensor();
        region.zero_();  // the in-place op overwrote these elements: the old history gets no gradient there
        return variable_list{needs[0] ? gb.of(buf).clone() : Tensor(), view_grad};
      });
  node->next_edges = {gradient_edge(base), view_edge};
  node->outputs.push_back({base.sizes(), base.dtype(), base.device()});
  node->pre_hooks.resize(1);
  return node;
}

}  // namespace

namespace detail {

std::shared_ptr<Node> view_of_base_node(const Tensor& base, const Tensor& view) {
  Geometry gb(base), gv(view);
  auto node =
      std::make_shared<LambdaNode>("AsStridedBackward", [gb, gv](const variable_list& g, const std::vector<bool>&) {
        Tensor buf = zero_buffer(gb, gv, g[0]);
        gv.of(buf).copy_(g[0]);
        return variable_list{gb.of(buf).clone()};
      });
  node->next_edges = {gradient_edge(base)};
  node->outputs.push_back({view.sizes(), view.dtype(), view.device()});
  node->pre_hooks.resize(1);
  return node;
}

void refresh_view_history(const Tensor& view) {
  if (!view.defined() || !view.impl()->autograd || !view.impl()->view_base) return;
  AutogradMeta& meta = *view.impl()->autograd;
  if (!meta.grad_fn) return;
  Tensor base(view.impl()->view_base);
  std::shared_ptr<Node> current = base.grad_fn();
  if (!current || meta.view_base_grad_fn.lock() == current) return;
  meta.grad_fn = view_of_base_node(base, view);
  meta.output_nr = 0;
  meta.view_base_grad_fn = current;
}

}  // namespace detail

void rebase_history(const Tensor& self) {
  if (!self.is_view() || !self.impl()->autograd || !self.impl()->autograd->grad_fn) return;
  Tensor base(self.impl()->view_base);
  AutogradMeta& meta = autograd_meta(self);
  auto copy_slices = copy_slices_node(base, self, Edge{meta.grad_fn, meta.output_nr});
  AutogradMeta& bmeta = autograd_meta(base);
  bmeta.requires_grad = true;
  bmeta.grad_fn = copy_slices;
  bmeta.output_nr = 0;
  meta.grad_fn = detail::view_of_base_node(base, self);
  meta.output_nr = 0;
  meta.view_base_grad_fn = copy_slices;
}

}  // namespace seek::autograd
