#pragma once
// Autograd of in-place ops on views (PyTorch's CopySlices): the nodes that move a gradient between a
// base tensor and one of its strided views. Internal to src/autograd.
#include <memory>

#include "seek/autograd/node.h"

namespace seek::autograd::detail {

// A node taking the gradient of `view` (a strided view of `base`'s storage) to a gradient of `base`:
// zeros outside the view's elements, with an edge to base's current history.
std::shared_ptr<Node> view_of_base_node(const Tensor& base, const Tensor& view);

// Makes `view`'s grad_fn the view of its base's current history when the base's history changed
// since the view's grad_fn was recorded.
void refresh_view_history(const Tensor& view);

}  // namespace seek::autograd::detail
